"""The lock-board bus as provisioning needs it: scan, polarity, one pulse per door.

`BusProbe` wraps `locker_firmware_bridge.probe` (scan_bus, detect_polarity) and
`locker_firmware_bridge.LockerBus` (a single pulse while mapping doors) and turns their errors
into `SetupError`s that say what to check. Each call opens the port and closes it again, so
nothing holds the bus between the steps a technician takes. The setup steps take any object with
these three methods, so a touch screen can drive the same steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kiosk.provisioning.errors import SetupError
from kiosk.provisioning.plan import BoardPlan

PORT_HINT = ("check that the USB-RS485 adapter is plugged in and the path is right "
             "(ls -l /dev/serial/by-id), and that no other program (a running station) holds the port")
BUS_HINT = ("check the boards' power, the RS485 A/B wiring and termination, each board's DIP address, "
            "and the protocol/baud if you gave them")


@dataclass(frozen=True)
class Pulse:
    board: int
    lock: int
    result: str  # opened | not_opened | already_open | no_reply | unreachable
    ms: float
    detail: str = ""


def _probe_module() -> Any:
    from locker_firmware_bridge import probe  # the bus probe library (cabinet branch)

    return probe


class BusProbe:
    def __init__(self, reply_timeout_s: float = 0.1, settle_s: float = 0.3) -> None:
        self.reply_timeout_s = reply_timeout_s
        self.settle_s = settle_s

    def scan(self, port: str, protocol: str | None, baud: int | None) -> tuple[list[Any], float]:
        """Every board that answers, in bus order, and the time the scan took (ms)."""
        probe = _probe_module()
        t0 = time.perf_counter()
        try:
            found = probe.scan_bus(port, protocols=[protocol] if protocol else None,
                                   bauds=[baud] if baud else None, reply_timeout_s=self.reply_timeout_s)
        except probe.PortMissing as exc:
            raise SetupError("bus.port", f"cabinet port {port}: {exc}; {PORT_HINT}") from None
        except probe.BusConflict as exc:
            raise SetupError("bus.conflict", f"two boards answer at one address on {port}: {exc}; give every board "
                             "its own DIP address (power the boards one at a time to find the pair)") from None
        except probe.ProbeError as exc:
            raise SetupError("bus.scan", f"bus scan on {port} failed: {exc}; {BUS_HINT}") from None
        ms = (time.perf_counter() - t0) * 1000
        if not found:
            what = (f"protocol {protocol or 'any'}, baud {baud or 'any'}")
            raise SetupError("bus.scan", f"no lock board answered on {port} ({what}); {BUS_HINT}")
        return sorted(found, key=lambda f: f.board), ms

    def polarity(self, port: str, found: Any, lock: int = 1) -> tuple[Any, float]:
        """Pulse `lock` of the board and read which status bit changes (the door opens!)."""
        probe = _probe_module()
        t0 = time.perf_counter()
        try:
            pol = probe.detect_polarity(port, found, lock=lock, settle_s=self.settle_s)
        except probe.PortMissing as exc:
            raise SetupError("bus.port", f"cabinet port {port}: {exc}; {PORT_HINT}") from None
        except probe.ProbeError as exc:
            raise SetupError("bus.polarity", f"board {found.board}: polarity test failed: {exc}; "
                             f"check that lock {lock}'s door is shut and its sensor wired") from None
        return pol, (time.perf_counter() - t0) * 1000

    def pulse(self, port: str, board: BoardPlan, lock: int) -> Pulse:
        """Open one lock once (never retried), to show the technician which door it is."""
        from locker_firmware_bridge import BoardSettings, LockerBus

        settings = BoardSettings(board.address, board.locks, board.status_order,  # type: ignore[arg-type]
                                 board.open_bit)
        bus = LockerBus.create(port, board.protocol, [settings], board.baud, reply_timeout_s=max(0.2, self.reply_timeout_s))
        try:
            if not bus.link.open():
                err = bus.link.last_error
                raise SetupError("bus.port", f"cabinet port {port}: {err.detail if err else 'cannot open'}; {PORT_HINT}")
            r = bus.open_lock(board.address, lock)
        finally:
            bus.close()
        return Pulse(board.address, lock, r.result, r.ms, "; ".join(x for x in (r.detail, r.hint) if x))


def board_plan(found: Any, polarity: Any) -> BoardPlan:
    return BoardPlan(address=found.board, locks=found.locks, protocol=found.protocol, baud=found.baud,
                     status_order=polarity.status_order, open_bit=polarity.open_bit,
                     round_trip_ms=round(found.round_trip_ms, 2), warnings=tuple(polarity.warnings))
