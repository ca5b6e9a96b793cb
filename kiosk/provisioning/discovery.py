"""What is plugged into this machine: one small discoverer per device kind, in a registry.

Each discoverer takes a `Roots` (the /dev and /sys trees it reads, the printer hosts to try, how to
list PC/SC readers and CUPS queues) and returns a `Discovery`: the devices it found, each with the
URL a station config would use, plus notes on what it could not look at (pcscd not running, no
CUPS client). A discoverer never raises for a missing tree or service: an absent /dev/serial/by-id
simply means "no USB serial adapters". Tests pass fake trees in temporary directories.

    discover_all(Roots()) -> {"serial": Discovery, "pcsc": ..., "camera": ..., "printer": ...}
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FoundDevice:
    kind: str  # serial | pcsc | camera | printer
    url: str  # as a station config would name it (serial ports: serial://PATH)
    name: str  # what a technician recognises
    path: str = ""  # device node or stable by-id path, when there is one
    detail: str = ""


@dataclass(frozen=True)
class Discovery:
    devices: tuple[FoundDevice, ...] = ()
    notes: tuple[str, ...] = ()


def _default_pcsc_readers() -> list[str]:
    from smartcard.System import readers  # pyscard; only when PC/SC discovery runs

    return [str(r) for r in readers()]


@dataclass(frozen=True)
class Roots:
    dev: Path = Path("/dev")
    sys: Path = Path("/sys")
    printer_hosts: tuple[str, ...] = ()
    tcp_timeout_s: float = 0.5
    lpstat: str | None = "lpstat"  # the CUPS client; None = do not ask CUPS
    pcsc_readers: Callable[[], list[str]] = field(default=_default_pcsc_readers)


def _natural(name: str) -> tuple[str, int]:
    m = re.match(r"(.*?)(\d+)$", name)
    return (m.group(1), int(m.group(2))) if m else (name, -1)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


# -- serial ports ---------------------------------------------------------------------------------
def discover_serial(roots: Roots) -> Discovery:
    """USB serial adapters by their stable /dev/serial/by-id names, then /dev/ttyUSB*, ttyACM* and
    ttyS* (a ttyS whose sysfs UART type is 0 has no hardware behind it and is left out)."""
    by_id: dict[str, str] = {}  # real node -> by-id path
    by_id_dir = roots.dev / "serial" / "by-id"
    if by_id_dir.is_dir():
        for link in sorted(by_id_dir.iterdir()):
            target = os.path.realpath(link)
            by_id.setdefault(os.path.basename(target), str(link))
    found: list[FoundDevice] = []
    nodes: list[Path] = []
    for pattern in ("ttyUSB*", "ttyACM*", "ttyS*"):
        nodes += sorted(roots.dev.glob(pattern), key=lambda p: _natural(p.name))
    for node in nodes:
        if node.name.startswith("ttyS"):
            uart_type = _read(roots.sys / "class" / "tty" / node.name / "type")
            if uart_type in ("", "0"):
                continue  # a placeholder the 8250 driver creates for every possible legacy port
        stable = by_id.pop(node.name, None)
        path = stable or str(node)
        name = os.path.basename(stable) if stable else node.name
        detail = f"{node}" if stable else ("legacy UART" if node.name.startswith("ttyS") else "no by-id name")
        found.append(FoundDevice("serial", f"serial://{path}", name, path, detail))
    for node_name, stable in by_id.items():  # a by-id link whose node the glob did not cover
        found.append(FoundDevice("serial", f"serial://{stable}", os.path.basename(stable), stable, node_name))
    return Discovery(tuple(found))


# -- PC/SC readers --------------------------------------------------------------------------------
def discover_pcsc(roots: Roots) -> Discovery:
    try:
        names = roots.pcsc_readers()
    except ImportError:
        return Discovery(notes=("PC/SC: pyscard is not installed; PC/SC readers were not looked for",))
    except Exception as exc:  # pyscard raises its own types for "no service", "no readers"
        text = str(exc) or type(exc).__name__
        if "0x8010002E" in text or "no readers" in text.lower():
            return Discovery()
        return Discovery(notes=(f"PC/SC: pcscd is not reachable ({text}); start pcscd if the ID reader is a "
                                "PC/SC reader",))
    return Discovery(tuple(FoundDevice("pcsc", f"pcsc://{n}", n, detail="PC/SC reader") for n in names))


# -- cameras --------------------------------------------------------------------------------------
def discover_cameras(roots: Roots) -> Discovery:
    """/dev/video* with the driver's name from sysfs. A UVC camera also makes a metadata node
    (sysfs `index` 1): only capture nodes (index 0, or no index file) are listed."""
    found: list[FoundDevice] = []
    for node in sorted(roots.dev.glob("video*"), key=lambda p: _natural(p.name)):
        if not re.fullmatch(r"video\d+", node.name):
            continue
        sysdir = roots.sys / "class" / "video4linux" / node.name
        index = _read(sysdir / "index")
        if index not in ("", "0"):
            continue
        name = _read(sysdir / "name") or node.name
        found.append(FoundDevice("camera", f"v4l2://{node}", name, str(node)))
    return Discovery(tuple(found))


# -- printers -------------------------------------------------------------------------------------
def _cups_queues(roots: Roots) -> Discovery:
    if roots.lpstat is None:
        return Discovery()
    exe = shutil.which(roots.lpstat)
    if exe is None:
        return Discovery(notes=("CUPS: no lpstat (cups-client) on this machine; CUPS queues were not looked for",))
    try:
        queues = subprocess.run([exe, "-e"], capture_output=True, text=True, timeout=5)
        uris = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Discovery(notes=(f"CUPS: lpstat failed ({exc}); is cupsd running?",))
    if queues.returncode != 0:
        msg = (queues.stderr.strip() or f"exit {queues.returncode}").splitlines()[0]
        return Discovery(notes=(f"CUPS: {msg}; is cupsd running?",))
    device_of: dict[str, str] = {}
    for line in uris.stdout.splitlines():
        m = re.match(r"device for (\S+):\s*(.+)$", line.strip())
        if m:
            device_of[m.group(1)] = m.group(2).strip()
    found = tuple(FoundDevice("printer", f"cups://{q}", q, detail=device_of.get(q, "CUPS queue"))
                  for q in (ln.strip() for ln in queues.stdout.splitlines()) if q)
    return Discovery(found)


def _usb_printers(roots: Roots) -> Discovery:
    """USB devices with a printer-class interface (bInterfaceClass 07), named usb://VID:PID."""
    found: list[FoundDevice] = []
    base = roots.sys / "bus" / "usb" / "devices"
    if not base.is_dir():
        return Discovery()
    for dev in sorted(base.iterdir()):
        vid, pid = _read(dev / "idVendor"), _read(dev / "idProduct")
        if not (re.fullmatch(r"[0-9a-fA-F]{4}", vid) and re.fullmatch(r"[0-9a-fA-F]{4}", pid)):
            continue
        if not any(_read(i / "bInterfaceClass") == "07" for i in dev.glob(f"{dev.name}:*")):
            continue
        name = " ".join(x for x in (_read(dev / "manufacturer"), _read(dev / "product")) if x) or f"{vid}:{pid}"
        found.append(FoundDevice("printer", f"usb://{vid.lower()}:{pid.lower()}", name, detail=f"USB {dev.name}"))
    return Discovery(tuple(found))


def _tcp_printers(roots: Roots) -> Discovery:
    found: list[FoundDevice] = []
    notes: list[str] = []
    for spec in roots.printer_hosts:
        host, port_text = spec.split(":") if spec.count(":") == 1 else (spec, "")
        port = int(port_text) if port_text.isdigit() else 9100
        try:
            with socket.create_connection((host, port), timeout=roots.tcp_timeout_s):
                pass
        except OSError as exc:
            notes.append(f"printer host {host}:{port}: no answer ({exc.strerror or exc}); check its power, "
                         "network cable and IP address")
            continue
        found.append(FoundDevice("printer", f"tcp://{host}:{port}", f"{host}:{port}", detail="raw TCP (JetDirect)"))
    return Discovery(tuple(found), tuple(notes))


def discover_printers(roots: Roots) -> Discovery:
    parts = [_cups_queues(roots), _usb_printers(roots), _tcp_printers(roots)]
    return Discovery(tuple(d for p in parts for d in p.devices), tuple(n for p in parts for n in p.notes))


DISCOVERERS: dict[str, Callable[[Roots], Discovery]] = {
    "serial": discover_serial,
    "pcsc": discover_pcsc,
    "camera": discover_cameras,
    "printer": discover_printers,
}


def discover_all(roots: Roots, kinds: tuple[str, ...] | None = None) -> dict[str, Discovery]:
    return {kind: fn(roots) for kind, fn in DISCOVERERS.items() if kinds is None or kind in kinds}
