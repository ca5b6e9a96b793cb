"""Start the simulators of a simulated station's config, at the addresses its device URLs name.

    hub, urls = start_simulators(config, root)                  # make run: the config's own addresses
    hub, urls = start_simulators(config, root, free_ports=True) # tests: any free TCP port

A device URL names where its simulator must be (so the station's URLs are those of a real
station, and the station code path is the production one):
- `sam://{root}/var/sim/dev/id_reader?...`, `serial://{root}/var/sim/dev/cabinet?...`: a pty with a
  stable symlink at that path (`{root}` = the station's directory), SAM module / lock boards;
- `http://127.0.0.1:PORT/stream.mjpg`: an MJPEG camera (the face camera, or, for
  `[devices.scanner] camera_url`, the document camera);
- `tcp://127.0.0.1:PORT`: the ESC/POS printer;
- `pcsc://READER?vpcd=127.0.0.1:PORT` (what `pcsc://{sim}` becomes: hw_sim/station/passport_reader.py):
  a virtual passport for a reader of the station process's private pcscd, plus its CSCA in the
  trust store;
- `cups://A4?server={sim}`: a private cupsd with a cups-pdf queue (hw_sim/cups_printer.py), the A4
  document printer; where a private CUPS cannot run (not root, no cups-pdf) the `file://` PDF sink
  backend stands in and the log says so.
A URL that names no local address (a real printer beside simulated everything else) gets no
simulator and is used as it is. `urls` maps each simulated role to the URL actually served (with
`free_ports`, the port the system chose)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hw_sim.control import ControlHub

ROOT_MARK = "{root}"
SIM_MARK = "{sim}"  # [devices.docprinter] cups://A4?server={sim}: a private CUPS whose socket we choose
QUEUE = "A4"
LOCAL = ("127.0.0.1", "localhost", "::1")


def fill_root(url: str, root: Path) -> str:
    return url.replace(ROOT_MARK, str(Path(root).resolve()))


def _local_port(url: str, scheme: str) -> int | None:
    parts = urlsplit(url)
    if parts.scheme != scheme or parts.hostname not in LOCAL:
        return None
    return parts.port or 0


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def _pty_path(url: str, root: Path) -> str | None:
    if ROOT_MARK not in url:
        return None
    path = urlsplit(fill_root(url, root)).path
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def start_simulators(config: Any, root: str | Path, *, free_ports: bool = False, out_dir: str | Path | None = None,
                     render_receipts: bool = False) -> tuple[ControlHub, dict[str, str]]:
    """Start a simulator for every device whose URL names a local address. Returns (hub, role -> URL)."""
    root = Path(root)
    hub = ControlHub()
    urls: dict[str, str] = {}
    d = config.devices
    try:
        path = _pty_path(d.id_reader.url, root)
        if path:
            from hw_sim.sam_module import SamModuleSim

            hub.add(SamModuleSim(link=path)).start()
            urls["id_reader"] = fill_root(d.id_reader.url, root)
        port = _local_port(d.camera.url, "http")
        if port is not None:
            from hw_sim.camera import CameraSim

            cam = hub.add(CameraSim(fps=d.camera.fps))
            address = cam.start(port=0 if free_ports else port)
            urls["camera"] = _with_port(d.camera.url, int(address.rsplit(":", 1)[1]))
        port = _local_port(d.scanner.camera_url or "", "http")
        if port is not None:
            from hw_sim.documents import document_camera_sim

            doc = hub.add(document_camera_sim(source="no_page"))
            address = doc.start(port=0 if free_ports else port)
            urls["scanner_camera"] = _with_port(d.scanner.camera_url, int(address.rsplit(":", 1)[1]))
        port = _local_port(d.printer.url, "tcp")
        if port is not None:
            from hw_sim.escpos_printer import PrinterSim

            printer = hub.add(PrinterSim(port=0 if free_ports else port, out_dir=out_dir, render=render_receipts))
            address = printer.start()
            urls["printer"] = _with_port(d.printer.url, int(address.rsplit(":", 1)[1]))
        path = _pty_path(config.cabinet.url, root)
        if path:
            from hw_sim.locker_board import LockerBoardSim

            hub.add(LockerBoardSim.from_config(config.cabinet, link=path)).start()
            urls["cabinet"] = fill_root(config.cabinet.url, root)
        if d.passport_reader is not None:  # pcsc://READER?vpcd=PORT: the station process leased the reader
            from hw_sim.station.passport_reader import start_passport_sim

            urls.update(start_passport_sim(d.passport_reader, hub))
        if d.docprinter is not None and SIM_MARK in d.docprinter.url:
            # certificates land beside the receipts: <root>/out/certificates
            out = Path(out_dir).parent if out_dir else root / "out"
            urls.update(start_docprinter_sim(d.docprinter, hub, out / "certificates"))
    except Exception:
        hub.close()
        raise
    return hub, urls


def start_docprinter_sim(docprinter_config: Any, hub: ControlHub, out_dir: Path) -> dict[str, str]:
    """Start the simulated A4 printer (a private CUPS). Returns {"docprinter": URL}."""
    import logging

    from hw_sim.cups_printer import CupsError, PrivateCups

    out_dir.mkdir(parents=True, exist_ok=True)
    cups = PrivateCups(out_dir=out_dir)
    try:
        cups.start()
        cups.add_queue(QUEUE)
    except (CupsError, OSError) as exc:
        cups.cleanup()
        logging.getLogger(__name__).warning("docprinter: no private CUPS (%s); printing certificates to file://%s",
                                            exc, out_dir)
        return {"docprinter": f"file://{out_dir}"}
    hub.add(cups)
    return {"docprinter": docprinter_config.url.replace(SIM_MARK, cups.server)}
