"""A simulated station for tests, benchmarks and the scenario CLI: the simulators of the config
started as their own process (hw_sim/station/process.py), a station built on their URLs by the
composition root exactly as a real one, the back-office double, and the sample staff.

    station, far = start_sim_station(load_config("config/sim.toml"), root=tmpdir)
    far.call("id_reader", "insert", identity="obama")   # or: python -m hw_sim.ctl SOCK id_reader insert ...
    ...
    stop_sim_station(station, far)

Simulator names for `call`: `id_reader` (SAM module on a pty), `camera` (MJPEG face camera),
`document_camera` (MJPEG document camera), `printer` (ESC/POS on TCP), `cabinet` (lock boards on
a pty), `passport_reader` (a virtual passport on a vpcd reader of this process's private pcscd,
with `[devices.passport_reader] url = "pcsc://{sim}"`: hw_sim/station/passport_reader.py), `backoffice` (the double, in this process, on the station's clock; with `[backoffice] mode =
"mqtt"` the real office instead: an operator on its JSON API, hw_sim/office_operator.py). The sample staff are
enrolled: staff card = identity `biden` (PIN 246810), technician card = identity `rose_leslie`
(PIN 135790). A device URL that names no local address is used as it is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hw_sim.station.passport_reader import PassportLease, lease_passport_reader
from hw_sim.station.process import SimProcess
from kiosk.assembly import build_station
from kiosk.config import ConfigError, StationConfig
from kiosk.core.clock import Clock, SystemClock
from kiosk.station import Station

log = logging.getLogger(__name__)

STAFF = (("S001", "窗口3 / Desk 3", "staff", "biden", "246810"),
         ("T001", "技术员 / Technician", "technician", "rose_leslie", "135790"))


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


class SimStation:
    """The simulated station's far side: the simulators' process and the back-office double.
    `call(device, cmd, **args)` reaches either (`backoffice` is the double, in this process)."""

    def __init__(self, sims: SimProcess, backoffice: Any, passport: PassportLease | None = None) -> None:
        self.sims = sims
        self.backoffice = backoffice
        self.urls = sims.urls
        self.socket = sims.socket
        self.passport = passport
        # role -> why the station has no such device though its config names one (the visits that need
        # it are skipped with this reason)
        self.unavailable: dict[str, str] = {}
        if passport is not None and passport.unavailable:
            self.unavailable["passport_reader"] = passport.unavailable

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        if device == "backoffice":
            return self.backoffice.handle(cmd, args)
        return self.sims.call(device, cmd, **args)

    def close(self) -> None:
        try:
            self.sims.close()
        finally:
            if self.passport is not None:
                self.passport.release()


def start_sim_station(config: StationConfig, *, root: str | Path | None = None, clock: Clock | None = None,
                      render_receipts: bool = False, catalog: Any = None, approve_after_s: float | None = None,
                      free_ports: bool = True) -> tuple[Station, SimStation]:
    """Start the simulators (their own process) and build the station on them, as a real station
    is built (kiosk.assembly), with the back-office double and the sample staff enrolled.
    Returns (station, far side)."""
    from hw_sim.backoffice import SimBackOffice

    if not config.simulator.enabled:
        raise ConfigError("this configuration is not a simulated station ([simulator] enabled = false)")
    root = Path(root) if root else Path.cwd()
    clock = clock or SystemClock()
    prepare_sim_root(config, root)
    passport = lease_passport_reader(config, root)  # the station process's pcscd: before anything talks PC/SC
    config = passport.config
    try:
        sims = SimProcess(config, root, free_ports=free_ports, render_receipts=render_receipts).start()
    except BaseException:
        passport.release()
        raise
    station = None
    try:
        if catalog is None:
            from kiosk.services.catalog import catalog_dir, load_catalog

            catalog = load_catalog(catalog_dir(config.catalog.dir, root))
        if config.backoffice.mode == "mqtt":  # the real office: no double; a person's actions on its API
            station = build_station(config, clock=clock, catalog=catalog, urls=sims.urls, root=root)
            far_office: Any = office_side(config, station, root)
        else:
            far_office = SimBackOffice(clock=clock, catalog=catalog,
                                       approve_after_s=config.backoffice.approve_after_s if approve_after_s is None
                                       else approve_after_s)
            station = build_station(config, backoffice=far_office, clock=clock, catalog=catalog, urls=sims.urls,
                                    root=root)
        enrol_sample_staff(station)
    except BaseException:  # Ctrl-C during the build too: never leave the simulators behind
        try:
            if station is not None:
                station.close()
        finally:
            try:
                sims.close()
            finally:
                passport.release()
        raise
    return station, SimStation(sims, far_office, passport)


def office_side(config: StationConfig, station: Station, root: Path) -> Any:
    """The far side's `backoffice` for a station on the real office: the scripted operator
    ([simulator] office_console/office_user/office_password_file) and the station's network cable."""
    from hw_sim.office_operator import OfficeOperator, OfficeSide

    sim = config.simulator
    if not (sim.office_console and sim.office_user and sim.office_password_file):
        return NoOfficeControls('[backoffice] mode = "mqtt" on a simulated station with no operator account: set '
                                "[simulator] office_console, office_user and office_password_file for the scripted "
                                "visits' back-office actions (make run writes them)")
    pw = Path(sim.office_password_file)
    return OfficeSide(OfficeOperator(sim.office_console, sim.office_user, pw if pw.is_absolute() else root / pw),
                      station.fleet_link, backoffice=station.services.backoffice)


class NoOfficeControls:
    """The far side's `backoffice` when no one may act in the office: every command says why."""

    def __init__(self, why: str) -> None:
        self.why = why

    def handle(self, cmd: str, args: dict[str, Any]) -> Any:
        from hw_sim.control import ControlError

        raise ControlError(f"backoffice {cmd}: {self.why}")


def enrol_sample_staff(station: Station) -> None:
    """The sample staff member and technician (cards of sample identities), once per store."""
    from hw_sim.identities import get_identity

    known = {m.staff_no for m in station.services.staff.members()}
    for staff_no, name, role, key, pin in STAFF:
        if staff_no not in known:
            station.services.staff.add(staff_no, name, role, get_identity(key).id_number, pin)


def stop_sim_station(station: Station, far: SimStation) -> None:
    try:
        station.close()
    finally:
        far.close()
