"""Which URL each device role gets, and whether that device can be seen from here.

- `candidates(role, discovered)`: the discovered devices that can fill a role, as URLs
  (a PC/SC reader -> pcsc://NAME, a serial port -> sam://PATH?baud=115200, a camera -> v4l2://...).
- `check_url(role, url)`: the URL names a backend the station has (`kiosk.devices.<class>.BACKENDS`),
  or a `SetupError` that lists the known schemes.
- `reach(role, url, discovered)`: can the device be seen (node exists, reader listed, host answers)?
  A `Check` with pass or warn: a device not plugged in yet does not stop provisioning.
  One small reachability function per URL scheme, in a registry.
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Callable

from kiosk.devices.registry import DeviceUrl, parse_url
from kiosk.provisioning.discovery import Discovery
from kiosk.provisioning.errors import SetupError
from kiosk.provisioning.plan import DevicePlan
from kiosk.provisioning.report import Check

DEVICE_CLASS = {"id_reader": "idreader", "camera": "camera", "scanner": "scanner", "printer": "printer"}
OPTION = {"id_reader": "--id-reader", "camera": "--camera", "scanner": "--scanner", "printer": "--printer"}


def candidates(role: str, discovered: dict[str, Discovery]) -> list[tuple[str, str]]:
    """(url, description) for every discovered device that could fill `role`."""
    def devs(kind: str) -> list:
        d = discovered.get(kind)
        return list(d.devices) if d else []

    if role == "id_reader":
        return ([(d.url, f"PC/SC {d.name}") for d in devs("pcsc")]
                + [(f"sam://{d.path}?baud=115200", f"SAM on {d.name}") for d in devs("serial")])
    if role == "camera":
        return [(d.url, d.name) for d in devs("camera")]
    if role == "scanner":
        return [(d.url, f"document camera {d.name}") for d in devs("camera")]
    if role == "printer":
        return [(d.url, f"{d.name} ({d.detail})" if d.detail else d.name) for d in devs("printer")]
    raise ValueError(role)


def check_url(role: str, url: str) -> DeviceUrl:
    try:
        parsed = parse_url(url)
    except ValueError as exc:
        raise SetupError(f"device.{role}", f"{OPTION[role]} {url!r}: {exc}") from None
    scheme_owner = DEVICE_CLASS[role]
    if role == "scanner" and parsed.scheme != "camera":
        scheme_owner = "camera"  # a camera URL for the document camera behind camera://document
    backends = getattr(importlib.import_module(f"kiosk.devices.{scheme_owner}"), "BACKENDS", {})
    if parsed.scheme not in backends:
        known = ", ".join(f"{s}://" for s in sorted(backends))
        raise SetupError(f"device.{role}", f"{OPTION[role]} {url!r}: no {role.replace('_', ' ')} backend for "
                         f"{parsed.scheme}:// (known: {known})")
    return parsed


def plan_device(role: str, url: str, source: str) -> DevicePlan:
    """A scanner URL that is a camera URL becomes camera://document with that camera behind it."""
    parsed = check_url(role, url)
    if role == "scanner" and parsed.scheme != "camera":
        return DevicePlan(role, "camera://document", source, camera_url=url)
    return DevicePlan(role, url, source)


# -- reachability, by scheme -----------------------------------------------------------------------
def _node(u: DeviceUrl, _d: dict[str, Discovery]) -> tuple[bool, str]:
    path = u.path or u.target
    return os.path.exists(path), f"{path} {'exists' if os.path.exists(path) else 'does not exist'}"


def _listed(kind: str, key: Callable[[DeviceUrl], str]) -> Callable[[DeviceUrl, dict[str, Discovery]], tuple[bool, str]]:
    def check(u: DeviceUrl, d: dict[str, Discovery]) -> tuple[bool, str]:
        found = d.get(kind)
        names = [x.url.lower() for x in found.devices] if found else []
        want = key(u).lower()
        ok = any(n == want for n in names)
        notes = "; ".join(found.notes) if found and found.notes else ""
        return ok, f"{'found' if ok else 'not found'} among discovered {kind} devices" + (f" ({notes})" if notes else "")
    return check


def _tcp(u: DeviceUrl, _d: dict[str, Discovery]) -> tuple[bool, str]:
    try:
        with socket.create_connection((u.host, u.port or 9100), timeout=0.5):
            return True, f"{u.host}:{u.port or 9100} accepts connections"
    except OSError as exc:
        return False, f"{u.host}:{u.port or 9100}: {exc.strerror or exc}"


def _not_checked(u: DeviceUrl, _d: dict[str, Discovery]) -> tuple[bool | None, str]:
    return None, f"{u.scheme}:// is not checked here"


REACH: dict[str, Callable[[DeviceUrl, dict[str, Discovery]], tuple[bool | None, str]]] = {
    "sam": _node, "serial": _node, "v4l2": _node, "file": _node,
    "pcsc": _listed("pcsc", lambda u: u.raw),
    "usb": _listed("printer", lambda u: u.raw),
    "cups": _listed("printer", lambda u: u.raw),
    "tcp": _tcp,
    "http": _not_checked, "https": _not_checked, "rtsp": _not_checked,
}


def reach(plan: DevicePlan, discovered: dict[str, Discovery]) -> Check:
    url = plan.camera_url or plan.url
    u = parse_url(url)
    ok, detail = REACH.get(u.scheme, _not_checked)(u, discovered)
    if ok is None:
        return Check(f"device.{plan.role}", url, "warn", detail)
    return Check(f"device.{plan.role}", url, "pass" if ok else "warn",
                 detail if ok else f"{detail}: the config names it, but plug it in / power it before the station starts")
