"""A simulated station: every hw_sim simulator started for a config with `[simulator] enabled`,
`{sim}` in device URLs replaced by their addresses, the ControlHub served on
`[simulator] control_socket`, and a `Station` on top — real flows, real services, real drivers.

    station, hub = start_sim_station(load_config("config/sim.toml"), root=tmpdir)
    hub.call("id_reader", "insert", identity="obama")       # or: python -m hw_sim.ctl SOCK id_reader insert ...
    ...
    stop_sim_station(station, hub)

Simulators and their hub names: `id_reader` (SAM module on a pty), `camera` (MJPEG face camera),
`document_camera` (MJPEG document camera), `printer` (ESC/POS on TCP), `cabinet` (lock boards on
a pty), `backoffice` (in process, on the station's clock). The sample staff are enrolled: staff
card = identity `biden` (PIN 246810), technician card = identity `rose_leslie` (PIN 135790).
A URL without `{sim}` is used as it is (e.g. a real printer beside simulated everything else).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, StationConfig
from kiosk.core.clock import Clock, SystemClock
from kiosk.station import Station

log = logging.getLogger(__name__)

SIM = "{sim}"
STAFF = (("S001", "窗口3 / Desk 3", "staff", "biden", "246810"),
         ("T001", "技术员 / Technician", "technician", "rose_leslie", "135790"))


def _fill(url: str, address: str) -> str:
    return url.replace(SIM, address)


def prepare_sim_root(config: StationConfig, root: str | Path) -> bool:
    """A fresh simulated root (no database, no key yet) gets its hash key, like a first install.
    A root whose database exists keeps whatever key it has: a missing key there is refused at start,
    never regenerated. Returns whether a key was made."""
    from kiosk.services.keyed_hash import create_key

    def where(p: str) -> Path:
        return Path(p) if Path(p).is_absolute() else Path(root) / p

    key, db = where(config.storage.hash_key_file), where(config.storage.database)
    if key.exists() or db.exists():
        return False
    create_key(key, exist_ok=True)
    return True


def start_simulators(config: StationConfig, render_receipts: bool = False,
                     out_dir: str | Path | None = None) -> tuple[Any, dict[str, str]]:
    """Start a simulator for every device whose URL holds `{sim}`. Returns (hub, role -> URL)."""
    from hw_sim.control import ControlHub

    hub = ControlHub()
    urls: dict[str, str] = {}
    d = config.devices
    try:
        if SIM in d.id_reader.url:
            from hw_sim.sam_module import SamModuleSim

            sam = hub.add(SamModuleSim())
            urls["id_reader"] = _fill(d.id_reader.url, sam.start())
        if SIM in d.camera.url:
            from hw_sim.camera import CameraSim

            cam = hub.add(CameraSim(fps=d.camera.fps))
            urls["camera"] = _fill(d.camera.url, cam.start())
        cam_url = d.scanner.camera_url or ""
        if SIM in cam_url or cam_url.startswith("sim://"):
            from hw_sim.documents import document_camera_sim

            doc = hub.add(document_camera_sim(source="no_page"))
            address = doc.start()
            urls["scanner_camera"] = _fill(cam_url, address) if SIM in cam_url else f"http://{address}/stream.mjpg"
        if SIM in d.printer.url:
            from hw_sim.escpos_printer import PrinterSim

            printer = hub.add(PrinterSim(port=0, out_dir=out_dir, render=render_receipts))
            urls["printer"] = _fill(d.printer.url, printer.start())
        if SIM in config.cabinet.url:
            from hw_sim.locker_board import LockerBoardSim

            boards = hub.add(LockerBoardSim.from_config(config.cabinet))
            urls["cabinet"] = _fill(config.cabinet.url, boards.start())
        from kiosk.devices.citizen_sim_wiring import start_citizen_sims  # citizen branch: A4 printer, voice
        urls.update(start_citizen_sims(d, hub, Path(out_dir).parent if out_dir else None))
    except Exception:
        hub.close()
        raise
    return hub, urls


def start_sim_station(config: StationConfig, *, root: str | Path | None = None, clock: Clock | None = None,
                      serve_control: bool = True, render_receipts: bool = False,
                      catalog: Any = None, approve_after_s: float | None = None) -> tuple[Station, Any]:
    """Start the simulators and the station on them. Returns (station, hub)."""
    from hw_sim.backoffice import SimBackOffice

    if not config.simulator.enabled:
        raise ConfigError("this configuration is not a simulated station ([simulator] enabled = false)")
    root = Path(root) if root else Path.cwd()
    clock = clock or SystemClock()
    prepare_sim_root(config, root)
    hub, urls = start_simulators(config, render_receipts, root / "out" / "receipts")
    station = None
    try:
        if catalog is None:
            from kiosk.services.catalog import load_catalog

            from kiosk.station import resolve

            catalog = load_catalog(resolve(config.catalog.dir, root))
        bo = SimBackOffice(clock=clock, catalog=catalog,
                           approve_after_s=config.backoffice.approve_after_s if approve_after_s is None
                           else approve_after_s)
        hub.add(bo)
        station = Station(config, backoffice=bo, clock=clock, catalog=catalog, urls=urls, root=root)
        for staff_no, name, role, key, pin in STAFF:
            from hw_sim.identities import get_identity

            station.services.staff.add(staff_no, name, role, get_identity(key).id_number, pin)
        if serve_control:
            sock = Path(config.simulator.control_socket)
            hub.serve(sock if sock.is_absolute() else root / sock)
    except Exception:
        if station is not None:
            station.close()
        hub.close()
        raise
    return station, hub


def stop_sim_station(station: Station, hub: Any) -> None:
    station.close()
    hub.close()
