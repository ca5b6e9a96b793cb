"""Each discoverer on fake /dev and /sys trees in a temporary directory, and on this machine."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

from kiosk.provisioning.discovery import DISCOVERERS, Roots, discover_all, discover_cameras, discover_pcsc, \
    discover_printers, discover_serial


def _touch(path: Path, text: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else "")


def fake_trees(tmp: Path) -> Roots:
    dev, sys = tmp / "dev", tmp / "sys"
    for node in ("ttyUSB0", "ttyUSB1", "ttyUSB10", "ttyUSB2", "ttyACM0", "ttyS0", "ttyS1", "video0", "video1",
                 "video2", "video10"):
        _touch(dev / node)
    byid = dev / "serial" / "by-id"
    byid.mkdir(parents=True)
    os.symlink("../../ttyUSB1", byid / "usb-FTDI_FT232R_USB_UART_A10K3B7P-if00-port0")
    os.symlink("../../ttyACM0", byid / "usb-SAM_Module_1234-if00")
    _touch(sys / "class/tty/ttyS0/type", "4\n")  # a real 16550A
    _touch(sys / "class/tty/ttyS1/type", "0\n")  # a placeholder without hardware
    _touch(sys / "class/video4linux/video0/name", "HD USB Camera: HD USB Camera\n")
    _touch(sys / "class/video4linux/video0/index", "0\n")
    _touch(sys / "class/video4linux/video1/name", "HD USB Camera: HD USB Camera\n")
    _touch(sys / "class/video4linux/video1/index", "1\n")  # the UVC metadata node
    _touch(sys / "class/video4linux/video2/name", "Document Camera\n")
    usb = sys / "bus/usb/devices"
    _touch(usb / "1-1/idVendor", "04b8\n")
    _touch(usb / "1-1/idProduct", "0E15\n")
    _touch(usb / "1-1/manufacturer", "EPSON\n")
    _touch(usb / "1-1/product", "TM-T20II\n")
    _touch(usb / "1-1/1-1:1.0/bInterfaceClass", "07\n")
    _touch(usb / "1-2/idVendor", "046d\n")  # a keyboard: not a printer
    _touch(usb / "1-2/idProduct", "c31c\n")
    _touch(usb / "1-2/1-2:1.0/bInterfaceClass", "03\n")
    _touch(usb / "usb1/idVendor", "1d6b\n")  # a root hub without interfaces of class 07
    _touch(usb / "usb1/idProduct", "0002\n")
    return Roots(dev=dev, sys=sys, lpstat=None, pcsc_readers=lambda: [])


def test_serial_ports_by_id_first_natural_order_and_no_placeholder_uarts(tmp_path: Path) -> None:
    roots = fake_trees(tmp_path)
    found = discover_serial(roots).devices
    paths = [d.path for d in found]
    byid = str(roots.dev / "serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3B7P-if00-port0")
    assert paths == [str(roots.dev / "ttyUSB0"), byid, str(roots.dev / "ttyUSB2"), str(roots.dev / "ttyUSB10"),
                     str(roots.dev / "serial/by-id/usb-SAM_Module_1234-if00"), str(roots.dev / "ttyS0")]
    by_path = {d.path: d for d in found}
    assert by_path[byid].url == f"serial://{byid}" and by_path[byid].detail.endswith("ttyUSB1")
    assert by_path[str(roots.dev / "ttyS0")].detail == "legacy UART"


def test_cameras_skip_metadata_nodes_and_name_from_sysfs(tmp_path: Path) -> None:
    roots = fake_trees(tmp_path)
    found = discover_cameras(roots).devices
    assert [(d.url, d.name) for d in found] == [
        (f"v4l2://{roots.dev}/video0", "HD USB Camera: HD USB Camera"),
        (f"v4l2://{roots.dev}/video2", "Document Camera"),
        (f"v4l2://{roots.dev}/video10", "video10"),  # no sysfs entry: the node's own name
    ]


def test_usb_printer_by_interface_class_and_tcp_host(tmp_path: Path) -> None:
    roots = fake_trees(tmp_path)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepting = threading.Thread(target=lambda: server.accept()[0].close(), daemon=True)
    accepting.start()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
    dead_port = dead.getsockname()[1]
    try:
        d = discover_printers(Roots(dev=roots.dev, sys=roots.sys, lpstat=None,
                                    printer_hosts=(f"127.0.0.1:{port}", f"127.0.0.1:{dead_port}")))
    finally:
        server.close()
        dead.close()
    assert [p.url for p in d.devices] == ["usb://04b8:0e15", f"tcp://127.0.0.1:{port}"]
    assert d.devices[0].name == "EPSON TM-T20II"
    assert len(d.notes) == 1 and f"127.0.0.1:{dead_port}" in d.notes[0] and "IP address" in d.notes[0]


def test_cups_queues_through_lpstat(tmp_path: Path) -> None:
    lpstat = tmp_path / "lpstat"
    lpstat.write_text('#!/bin/sh\ncase "$1" in\n -e) printf "Receipt\\nA4_Office\\n";;\n'
                      ' -v) printf "device for Receipt: usb://EPSON/TM-T20II\\ndevice for A4_Office: ipp://10.0.0.5/ipp\\n";;\n'
                      'esac\n')
    lpstat.chmod(lpstat.stat().st_mode | stat.S_IXUSR)
    d = discover_printers(Roots(dev=tmp_path, sys=tmp_path, lpstat=str(lpstat)))
    assert [(p.url, p.detail) for p in d.devices] == [("cups://Receipt", "usb://EPSON/TM-T20II"),
                                                      ("cups://A4_Office", "ipp://10.0.0.5/ipp")]


def test_cups_server_down_and_no_client_are_notes_not_errors(tmp_path: Path) -> None:
    lpstat = tmp_path / "lpstat"
    lpstat.write_text("#!/bin/sh\necho 'lpstat: No destinations added.' >&2\nexit 1\n")
    lpstat.chmod(0o755)
    down = discover_printers(Roots(dev=tmp_path, sys=tmp_path, lpstat=str(lpstat)))
    assert down.devices == () and "No destinations added" in down.notes[0] and "cupsd" in down.notes[0]
    none = discover_printers(Roots(dev=tmp_path, sys=tmp_path, lpstat="no-such-lpstat-here"))
    assert none.devices == () and "cups-client" in none.notes[0]


def test_pcsc_readers_and_absent_pcscd() -> None:
    assert [d.url for d in discover_pcsc(Roots(pcsc_readers=lambda: ["ACS ACR1252 1S CL Reader [ACR1252] 00 00"])).devices] \
        == ["pcsc://ACS ACR1252 1S CL Reader [ACR1252] 00 00"]

    def no_service() -> list[str]:
        raise RuntimeError("Failed to establish context: Service not available. (0x8010001D)")

    d = discover_pcsc(Roots(pcsc_readers=no_service))
    assert d.devices == () and "pcscd" in d.notes[0]


def test_this_machine_never_raises() -> None:
    """Whatever this machine has (here: no pcscd, maybe no cameras), every discoverer answers."""
    found = discover_all(Roots())
    assert set(found) == set(DISCOVERERS) == {"serial", "pcsc", "camera", "printer"}
    for d in found["serial"].devices:
        assert os.path.exists(d.path)
    if not found["pcsc"].devices:  # pcscd absent (as on CI) -> a note, not an exception
        assert found["pcsc"].notes or found["pcsc"].devices == ()


def test_missing_trees_are_empty(tmp_path: Path) -> None:
    roots = Roots(dev=tmp_path / "nodev", sys=tmp_path / "nosys", lpstat=None, pcsc_readers=lambda: [])
    assert all(not d.devices for d in discover_all(roots).values())
