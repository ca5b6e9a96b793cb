"""The soak's faults, a registry: name -> how often it strikes (per visit) and what it does to the
station. `kill9` is not applied here: the runner forks a station process and SIGKILLs it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from kiosk.devices.base import DeviceEvent

if TYPE_CHECKING:  # pragma: no cover
    from hw_sim.soak.station import SoakStation

RTC_LOST = datetime(2000, 1, 1, tzinfo=timezone.utc)


class FaultError(ValueError):
    """A fault name the soak does not know."""


@dataclass(frozen=True)
class Fault:
    name: str
    help: str
    chance: float  # per visit
    apply: Callable[["SoakStation"], None]


def _board_junk(s: "SoakStation") -> None:
    rng = s.rng
    s.cabinet_service.on_device_event(DeviceEvent("cabinet", rng.choice(["junk", "door_closed", "door_opened"]),
                                                  {"board": rng.choice([None, 0, 1, 2, 9]),
                                                   "lock": rng.choice([None, 0, 1, 5, 99])}))


def _board_offline(s: "SoakStation") -> None:
    board = s.rng.choice([b.address for b in s.cabinet_config.boards])
    s.devices_fault("board_offline", lambda on: s.cabinet.set_board_offline(board, on))


def _unplug(s: "SoakStation") -> None:
    boards = [b.address for b in s.cabinet_config.boards]
    s.devices_fault("unplug", lambda on: [s.cabinet.set_board_offline(b, on) for b in boards])


def _lock_jam(s: "SoakStation") -> None:
    c = s.rng.choice(s.cabinet_config.compartments)
    s.devices_fault("lock_jam", lambda on: (s.cabinet.jammed.add if on else s.cabinet.jammed.discard)((c.board, c.lock)))


def _printer_out(s: "SoakStation") -> None:
    paper = s.rng.choice(["out", "jammed"])
    s.devices_fault("printer_out", lambda on: s.printer.set_status(s.printer.status, paper=paper if on else "ok"))


def _sms_failure(s: "SoakStation") -> None:
    s.sms_fails_next = True


def _clock_step(s: "SoakStation") -> None:
    s.step_clock(s.rng.choice([3600.0, -3600.0, 8 * 86400.0, -8 * 86400.0, None]))


def _kill9(_s: "SoakStation") -> None:  # the runner's own fault (a separate process is killed)
    return None


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("board_junk", "junk and stray door events from the lock boards", 0.05, _board_junk),
    Fault("board_offline", "one lock board stops answering for a few visits", 0.01, _board_offline),
    Fault("unplug", "the cabinet's USB-serial adapter is unplugged for a few visits", 0.005, _unplug),
    Fault("lock_jam", "a lock does not release for a few visits", 0.02, _lock_jam),
    Fault("printer_out", "the receipt printer is out of paper or jammed for a few visits", 0.01, _printer_out),
    Fault("sms_failure", "the pickup-code SMS of a deposit never arrives", 0.05, _sms_failure),
    Fault("clock_step", "the wall clock steps (+-1 h, +-8 days, RTC back at 2000-01-01), NTP corrects it later",
          0.01, _clock_step),
    Fault("kill9", "kill -9 of the station process at a random SQL statement, then a restart", 0.002, _kill9),
)}


def parse_faults(spec: str | None) -> tuple[str, ...]:
    """`None` -> no faults; `all` (or bare --faults) -> every fault; else a comma-separated list."""
    if spec is None or spec == "":
        return ()
    if spec == "all":
        return tuple(FAULTS)
    names = tuple(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    unknown = [n for n in names if n not in FAULTS]
    if unknown or not names:
        raise FaultError(f"unknown fault {', '.join(map(repr, unknown)) or repr(spec)} "
                         f"(known: {', '.join(FAULTS)}, or all)")
    return names
