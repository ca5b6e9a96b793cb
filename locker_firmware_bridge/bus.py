"""`LockerBus`: board-level operations on one serial bus.

- `read_status(board)`: status of all locks, retried up to `status_retries` more times on a
  missing or garbled reply (reads are harmless to repeat). Raises the last `LinkError`.
- `open_lock(board, lock)`: ONE open request, never retried: a lost reply does not mean the lock
  stayed shut, and a repeated pulse could open a door twice. Returns an `OpenResult` whose
  `result` is opened | not_opened | already_open | no_reply | unreachable.
- `scan(addresses)`: which addresses answer a status request (one attempt each, short timeout).
A board that answers with a refusal (a Modbus exception) gives `Refused` for a read and
`not_opened` for an open, with the board's reason.

Not thread-safe by itself: one thread owns the bus (`BusSupervisor`, or a CLI command).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from locker_firmware_bridge.codec import Codec, Expect, get_codec
from locker_firmware_bridge.errors import BadReply, BoardRefused, LinkError, NoReply, Refused, Unreachable
from locker_firmware_bridge.settings import BoardSettings
from locker_firmware_bridge.transport import SerialLink


@dataclass(frozen=True)
class BoardStatus:
    board: int
    locks: dict[int, bool]  # lock -> is open
    present: dict[int, bool] | None = None  # kerong infrared item presence
    attempts: int = 1
    ms: float = 0.0

    def door(self, lock: int) -> str:
        return "open" if self.locks.get(lock) else "closed"


@dataclass(frozen=True)
class OpenResult:
    board: int
    lock: int
    result: str  # opened | not_opened | already_open | no_reply | unreachable
    ms: float
    detail: str = ""
    hint: str = ""

    @property
    def released(self) -> bool:
        return self.result in ("opened", "already_open")


@dataclass
class LockerBus:
    link: SerialLink
    codec: Codec
    boards: dict[int, BoardSettings] = field(default_factory=dict)
    status_retries: int = 2

    @classmethod
    def create(cls, port: str, protocol: str, boards: list[BoardSettings], baud: int | None = None,
               **link_kw: object) -> "LockerBus":
        codec = get_codec(protocol)
        # the protocol may need a longer silent gap than 3.5 characters (Modbus: 1.75 ms above 19200)
        gap = max(float(link_kw.pop("gap_s", None) or 0.0), codec.protocol.min_gap_s) or None  # type: ignore[arg-type]
        link = SerialLink(port, baud or codec.default_baud, gap_s=gap, **link_kw)  # type: ignore[arg-type]
        return cls(link, codec, {b.address: b for b in boards})

    def settings(self, board: int) -> BoardSettings:
        return self.boards.get(board) or BoardSettings(board, locks=self.codec.protocol.default_locks)

    def read_status(self, board: int, retries: int | None = None) -> BoardStatus:
        settings = self.settings(board)
        expect = Expect("status_all", board)
        request = self.codec.encode_status_all(board, settings.locks)
        attempts = 1 + (self.status_retries if retries is None else retries)
        last: LinkError | None = None
        for attempt in range(1, attempts + 1):
            try:
                ex = self.link.exchange(request, lambda buf: self.codec.find_reply(buf, expect, settings))
            except (NoReply, BadReply) as exc:
                last = exc
                continue
            try:
                reply = self.codec.decode_reply(ex.frame, expect, settings)
            except BoardRefused as exc:  # an answer, so no retry: the board says no
                raise Refused(f"board {board}: {exc}", "check the board's lock count ([[cabinet.boards]] locks) "
                              "and that this board speaks the configured protocol") from None
            return BoardStatus(board, reply.locks, reply.present, attempt, ex.elapsed_s * 1000)
        assert last is not None
        last.detail = f"board {board}: {last.detail} (after {attempts} attempt(s))"
        if isinstance(last, NoReply):
            last.hint = "check the board's power, its address (DIP switches), the RS485 A/B wiring and the baud rate"
        else:
            last.hint = "check the protocol setting, the baud rate and the RS485 wiring/termination"
        raise last

    def open_lock(self, board: int, lock: int, was_open: bool | None = None) -> OpenResult:
        """Pulse one lock once. `was_open`: the door's state before (from a poll), so a door that
        already read open (or a broken sensor that always reads open) gives `already_open`, yet the
        pulse is still sent: a sensor fault must not block a legitimate unlock."""
        settings = self.settings(board)
        expect = Expect("open", board, lock)
        request = self.codec.encode_open(board, lock)
        t0 = time.perf_counter()
        try:
            ex = self.link.exchange(request, lambda buf: self.codec.find_reply(buf, expect, settings))
        except Unreachable as exc:
            return OpenResult(board, lock, "unreachable", _ms(t0), exc.detail, exc.hint)
        except NoReply as exc:
            return OpenResult(board, lock, "no_reply", _ms(t0), exc.detail,
                              "check the board's power, address (DIP switches), RS485 wiring and baud rate; "
                              "the lock may or may not have been pulsed: look at the door before trying again")
        except BadReply as exc:
            return OpenResult(board, lock, "no_reply", _ms(t0), exc.detail,
                              "the reply was garbled: check wiring/termination; the lock may have been pulsed")
        ms = ex.elapsed_s * 1000
        try:
            reply = self.codec.decode_reply(ex.frame, expect, settings)
        except BoardRefused as exc:  # the board did not pulse: a clear "no", not a lost reply
            return OpenResult(board, lock, "not_opened", ms, str(exc),
                              "check the lock number against the board's lock count and the compartment map")
        if reply.opened:
            return OpenResult(board, lock, "already_open" if was_open else "opened", ms)
        if was_open:
            return OpenResult(board, lock, "already_open", ms, "the door read open before the release")
        return OpenResult(board, lock, "not_opened", ms, "the board reports the lock did not release",
                          "the lock may be jammed or the door pressed shut")

    def outputs_off(self, board: int, reply_timeout_s: float = 0.05) -> int:
        """Switch every lock output of a board off (start-up: nothing stays powered after a crash).
        Returns how many frames were sent (0 when the protocol has no held outputs). A board that
        does not acknowledge costs `reply_timeout_s` per lock; a dead port raises `Unreachable`."""
        settings = self.settings(board)
        sent = 0
        acknowledges = True
        for lock in range(1, settings.locks + 1):
            request = self.codec.encode_output_off(board, lock)
            if request is None:
                return 0
            if not acknowledges:  # this firmware (or a dead board) says nothing: do not wait each time
                self.link.send_only(request)
                sent += 1
                continue
            try:
                self.link.exchange(request, lambda buf, lk=lock: self.codec.find_output_off_reply(buf, board, lk),
                                   reply_timeout_s)
            except (NoReply, BadReply):
                acknowledges = False  # no acknowledgement is documented for this command
            sent += 1
        return sent

    def scan(self, addresses: range | list[int], reply_timeout_s: float = 0.05) -> list[int]:
        found: list[int] = []
        for board in addresses:
            # an unknown board may have any lock count: accept the shortest valid reply
            settings = self.boards.get(board) or BoardSettings(board, locks=1)
            expect = Expect("status_all", board)
            try:
                self.link.exchange(self.codec.encode_status_all(board, settings.locks),
                                   lambda buf: self.codec.find_reply(buf, expect, settings), reply_timeout_s)
            except (NoReply, BadReply):
                continue
            found.append(board)
        return found

    def close(self) -> None:
        self.link.close()


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000
