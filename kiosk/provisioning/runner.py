"""The provisioning steps as functions, the non-interactive run, and the final write both modes share.

Order of a run: preflight (where the config goes, the station id) -> discovery -> devices -> bus
scan -> polarity per board -> compartment map -> `finish`: render + validate the config under a
temporary name, make sure the hash key exists, rename the config into place, write the report.
Any `SetupError` before the rename leaves nothing written (no config, no report, no key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.config import ConfigError
from kiosk.config.station import StationSection
from kiosk.provisioning import device_choice
from kiosk.provisioning.cabinet_probe import BusProbe, board_plan
from kiosk.provisioning.discovery import Discovery, Roots, discover_all
from kiosk.provisioning.errors import SetupError
from kiosk.provisioning.plan import ROLES, BoardPlan, PlanError, StationPlan, compartments_in_bus_order
from kiosk.provisioning.report import Check, report_data, write_report
from kiosk.provisioning.station_toml import StagedConfig


@dataclass
class SetupRequest:
    cabinet_port: str
    station_id: str
    out: Path
    protocol: str | None = None  # None: try every protocol in the registry
    baud: int | None = None  # None: try every baud rate
    urls: dict[str, str] = field(default_factory=dict)  # role -> URL given on the command line
    sizes: str | None = None
    locks: dict[int, int] = field(default_factory=dict)  # board -> locks wired, where the reply cannot tell
    doors_shut: bool = False  # the technician confirms every door is shut (accepts inverted polarity)
    root: Path = Path(".")
    roots: Roots = field(default_factory=Roots)
    trust_store: str | None = None  # CSCA directory, needed when the ID reader is pcsc://


@dataclass
class SetupResult:
    plan: StationPlan
    checks: list[Check]
    config_path: Path
    report_paths: tuple[Path, Path]


def check_station_id(station_id: str) -> None:
    try:
        StationSection(id=station_id, name_zh="-", name_en="-")
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise SetupError("station_id", f"--station-id {station_id!r}: {msg}") from None


def preflight(station_id: str, out: Path) -> list[Check]:
    check_station_id(station_id)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise SetupError("out", f"--out {out}: is a directory; give a file name such as {out}/station.toml")
    if not parent.is_dir():
        raise SetupError("out", f"--out {out}: directory {parent} does not exist; create it (mkdir -p {parent}) "
                         "or choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SetupError("out", f"--out {out}: directory {parent} is not writable by this user; check its "
                         "owner and mode or run as the station user")
    return [Check("preflight", str(out), "pass", f"station {station_id}; config goes to {out}")]


def discover(roots: Roots) -> tuple[dict[str, Discovery], list[Check]]:
    found = discover_all(roots)
    checks = [Check(f"discover.{kind}", kind, "warn" if d.notes else "pass",
                    "; ".join([f"{len(d.devices)} found: " + ", ".join(x.name for x in d.devices) if d.devices
                               else "none found", *d.notes]))
              for kind, d in found.items()]
    return found, checks


def discovered_json(found: dict[str, Discovery]) -> dict[str, list[dict[str, str]]]:
    return {kind: [{"url": x.url, "name": x.name, "path": x.path, "detail": x.detail} for x in d.devices]
            for kind, d in found.items()}


def auto_devices(urls: dict[str, str], found: dict[str, Discovery]) -> dict[str, Any]:
    """Each role from its option, else from discovery (the scanner takes a second camera), else a
    `SetupError` that names the option to give."""
    devices = {}
    for role in ROLES:
        if urls.get(role):
            devices[role] = device_choice.plan_device(role, urls[role], "option")
            continue
        options = device_choice.candidates(role, found)
        if role == "id_reader":  # a serial port may be the cabinet's: only PC/SC readers are taken unasked
            options = [o for o in options if o[0].startswith("pcsc://")]
        if role == "scanner":
            options = options[1:]  # the first camera is the face camera
        if not options:
            raise SetupError(f"device.{role}", f"no {role.replace('_', ' ')} found on this machine and "
                             f"{device_choice.OPTION[role]} not given: plug it in, or pass "
                             f"{device_choice.OPTION[role]} URL")
        devices[role] = device_choice.plan_device(role, options[0][0], "discovered")
    return devices


def scan_boards(probe: BusProbe, port: str, protocol: str | None, baud: int | None) -> tuple[list[Any], list[Check]]:
    found, ms = probe.scan(port, protocol, baud)
    kinds = {(f.protocol, f.baud) for f in found}
    if len(kinds) > 1:
        listing = ", ".join(f"board {f.board}: {f.protocol} at {f.baud}" for f in found)
        raise SetupError("bus.mixed", f"boards on {port} answer with different protocols or baud rates ({listing}); "
                         "one bus carries one protocol at one baud: set the boards alike or wire them to "
                         "separate ports")
    checks = [Check("bus.scan", port, "pass", f"{len(found)} board(s) in {ms:.0f} ms")]
    checks += [Check("bus.board", f"board {f.board}", "pass",
                     f"{f.protocol} at {f.baud} baud, {f.locks} locks", round(f.round_trip_ms, 2)) for f in found]
    return found, checks


ALL_OPEN = "every lock reads open"  # the probe's wording for its one "a person must look" warning


def inverted_if_shut(pol: Any) -> bool:
    """The probe refused only because every lock read open before the pulse, and the pulse then
    moved exactly the expected bit: if every door was really shut, the board reads its bits the
    other way round, and the detected polarity is right."""
    return not pol.ok and len(pol.warnings) == 1 and ALL_OPEN in pol.warnings[0]


def judge_polarity(found: Any, pol: Any, ms: float, doors_shut: bool) -> tuple[BoardPlan, Check]:
    accepted = doors_shut and inverted_if_shut(pol)
    if not pol.ok and not accepted:
        fix = ("close every door and look; if they are all shut, this board reads its bits the other way round: "
               "run again with --doors-shut (or interactively) to accept the detected polarity"
               if inverted_if_shut(pol) else
               "check that every door is shut before setup, that lock 1 has a door and a sensor, and the sensors' wiring")
        raise SetupError("bus.polarity", f"board {found.board}: polarity test failed: {'; '.join(pol.warnings)}; {fix}")
    plan = board_plan(found, pol)
    detail = f"status_order={pol.status_order}, open_bit={pol.open_bit}"
    if accepted:
        detail += "; every lock read open with every door shut: inverted polarity accepted (technician confirmed)"
    return plan, Check("bus.polarity", f"board {found.board}", "warn" if pol.warnings else "pass",
                       detail + (f"; {'; '.join(pol.warnings)}" if pol.warnings else ""), round(ms, 2))


def detect_boards(probe: BusProbe, port: str, found: list[Any], doors_shut: bool = False) -> tuple[list[BoardPlan], list[Check]]:
    boards, checks = [], []
    for f in found:
        pol, ms = probe.polarity(port, f)
        plan, check = judge_polarity(f, pol, ms, doors_shut)
        boards.append(plan)
        checks.append(check)
    return boards, checks


def apply_lock_counts(boards: list[BoardPlan], locks: dict[int, int]) -> list[BoardPlan]:
    addresses = {b.address for b in boards}
    unknown = sorted(set(locks) - addresses)
    if unknown:
        raise SetupError("map", f"--locks names board(s) {', '.join(map(str, unknown))}, which did not answer "
                         f"(boards found: {', '.join(str(a) for a in sorted(addresses))})")
    return [replace(b, locks=locks.get(b.address, b.locks)) for b in boards]


def parse_locks(spec: str | None) -> dict[int, int]:
    """`2:8,3:12` -> {2: 8, 3: 12}: locks wired per board, where the status reply cannot tell."""
    out: dict[int, int] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        a, sep, n = item.strip().partition(":")
        if not sep or not a.isdigit() or not n.isdigit() or not 1 <= int(n) <= 50:
            raise SetupError("map", f"--locks item {item.strip()!r}: expected BOARD:LOCKS with 1-50 locks, e.g. --locks 2:8")
        out[int(a)] = int(n)
    return out


def ensure_key(path: Path) -> Check:
    from kiosk.services import keyed_hash

    existed = path.exists()
    try:
        if hasattr(keyed_hash, "create_key"):  # the ops branch: create once, load strictly
            if existed:
                keyed_hash.load_key(path)  # proves the existing key is usable (size, mode)
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                keyed_hash.create_key(path)
        else:  # today's module creates a missing key atomically (0600) on first load
            keyed_hash.load_or_create_key(path)
    except keyed_hash.KeyFileError as exc:
        raise SetupError("key_file", str(exc)) from None
    except OSError as exc:
        raise SetupError("key_file", f"{path}: cannot create the hash key's directory: {exc.strerror or exc}") from None
    return Check("key_file", str(path), "pass", "existing key kept" if existed else "new key created (0600)")


def finish(plan: StationPlan, checks: list[Check], found: dict[str, Discovery], out: Path, root: Path) -> SetupResult:
    try:
        staged = StagedConfig(plan, out)
    except ConfigError as exc:
        raise SetupError("config", f"the generated config does not pass `kiosk config check`: {exc}") from None
    except OSError as exc:
        raise SetupError("out", f"--out {out}: cannot write: {exc.strerror or exc}") from None
    try:
        key_file = Path(staged.config.storage.hash_key_file)
        checks.append(ensure_key(key_file if key_file.is_absolute() else root / key_file))
        checks.append(Check("config", str(out), "pass",
                            f"passes kiosk config check: {len(plan.boards)} board(s), {len(plan.compartments)} "
                            "compartments"))
        staged.commit()
    except BaseException:
        staged.discard()
        raise
    try:
        paths = write_report(root, report_data(plan, checks, str(out), discovered_json(found)))
    except OSError as exc:
        raise SetupError("report", f"config written to {out}, but the report could not be written under "
                         f"{root}: {exc.strerror or exc}; check --root") from None
    return SetupResult(plan, checks, out, paths)


def run_non_interactive(req: SetupRequest, probe: BusProbe | None = None) -> SetupResult:
    probe = probe or BusProbe()
    checks = preflight(req.station_id, req.out)
    for role, url in req.urls.items():
        device_choice.check_url(role, url)  # a typo fails before the bus is touched
    found, more = discover(req.roots)
    checks += more
    devices = auto_devices(req.urls, found)
    checks += [device_choice.reach(d, found) for d in devices.values()]
    boards_found, more = scan_boards(probe, req.cabinet_port, req.protocol, req.baud)
    checks += more
    boards, more = detect_boards(probe, req.cabinet_port, boards_found, req.doors_shut)
    checks += more
    boards = apply_lock_counts(boards, req.locks)
    try:
        compartments = compartments_in_bus_order(boards, req.sizes)
    except PlanError as exc:
        raise SetupError("map", str(exc)) from None
    checks.append(Check("map", "bus order", "pass", f"{len(compartments)} compartments labelled "
                        f"{compartments[0].id}-{compartments[-1].id}"))
    plan = StationPlan(req.station_id, req.cabinet_port, boards, compartments, devices, trust_store=req.trust_store)
    return finish(plan, checks, found, req.out, req.root)


def result_json(result: SetupResult) -> dict[str, Any]:
    plan = result.plan
    return {
        "boards": [{"board": b.address, "protocol": b.protocol, "baud": b.baud, "locks": b.locks,
                    "status_order": b.status_order, "open_bit": b.open_bit} for b in plan.boards],
        "compartments": len(plan.compartments),
        "devices": {role: ({"url": d.url, "camera_url": d.camera_url} if d.camera_url else {"url": d.url})
                    | {"source": d.source} for role, d in plan.devices.items()},
        "config": str(result.config_path),
        "checks": [c.as_json() for c in result.checks],
    }
