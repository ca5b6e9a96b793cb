"""Bus probe for commissioning (`kiosk setup`): which boards are on a serial bus, and how each
board reports its doors.

- `scan_bus(port)`: tries every registered protocol (cheapest first: fewest addresses x baud
  rates), each at its plausible baud rates, over its address range, with one status request per
  address. Boards on one bus share protocol and baud rate, so the first (protocol, baud) at which
  any board answers is the bus's: nothing else is tried. A reply that arrives but never forms a
  valid frame, again and again at one address, is two boards answering at once (`BusConflict`).
- `detect_polarity(port, found)`: reads the board's raw status bits, pulses ONE lock, reads again
  until a bit changes. Which byte changed gives the status byte order (for boards whose reply has
  more than one status byte), the new bit value gives the polarity (the value that means open).
  Never silently: a board on which every lock already reads open under the protocol's default
  polarity gives `ok=False` with a warning (every door open, or a board that reads 1 as locked:
  a person must look), as does anything but exactly the expected single bit changing.

Both own the port while they run (one owner per port): stop the station first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from locker_firmware_bridge.codec import Codec, Expect
from locker_firmware_bridge.errors import BadReply, BoardRefused, NoReply, ProtocolError, Unreachable
from locker_firmware_bridge.protocol import LockBoardProtocol
from locker_firmware_bridge.protocols import get_protocol, protocols as registered
from locker_firmware_bridge.settings import BoardSettings
from locker_firmware_bridge.transport import SerialLink

GARBLED_ATTEMPTS = 3  # a garbled reply is asked again this often before it counts as a conflict


@dataclass(frozen=True)
class BoardFound:
    board: int
    protocol: str
    baud: int
    locks: int  # exact where the protocol can be asked (Modbus); else the most its status reply covers
    round_trip_ms: float  # the status request's first byte to the reply's last


class ProbeError(Exception):
    """The probe could not finish; the message names what to check."""


class PortMissing(ProbeError):
    """The serial path does not exist or cannot be opened."""


class BusConflict(ProbeError):
    """Garbled, overlapping replies at one address: two boards answer there. `found`: the boards
    that did answer cleanly on the same bus."""

    def __init__(self, message: str, addresses: list[int], found: list[BoardFound]) -> None:
        super().__init__(message)
        self.addresses = addresses
        self.found = found


@dataclass(frozen=True)
class BoardPolarity:
    status_order: str | None  # None: cannot be told (a single status byte) - keep the protocol's default
    open_bit: int  # the bit value that means open
    warnings: tuple[str, ...]
    ok: bool


# -- scan -------------------------------------------------------------------------------------
def scan_bus(port: str, protocols: Sequence[str] | None = None, bauds: Sequence[int] | None = None,
             addresses: Iterable[int] | None = None, reply_timeout_s: float = 0.1) -> list[BoardFound]:
    """The boards answering on `port`, by address. Raises `PortMissing`, `BusConflict`, or
    `ProbeError` (an unknown protocol name, a bad baud rate)."""
    _check_exists(port)
    specs = _specs(protocols)
    wanted = None if addresses is None else sorted(set(addresses))
    suspects: list[tuple[LockBoardProtocol, int, list[int]]] = []
    for spec in specs:
        codec = spec.make_codec()
        targets = [a for a in (wanted if wanted is not None else spec.addresses) if spec.min_address <= a <= spec.max_address]
        if not targets:
            continue
        for baud in (bauds or spec.bauds):
            if baud <= 0:
                raise ProbeError(f"baud rate {baud}: must be a positive number (e.g. {spec.default_baud})")
            link = _open(port, baud, spec, reply_timeout_s)
            try:
                found, garbled = _scan_at(link, codec, baud, targets, reply_timeout_s)
            finally:
                link.close()
            if found:  # the bus's protocol and baud rate: stop here
                if garbled:
                    raise BusConflict(_conflict_text(spec, baud, garbled), garbled, found)
                return found
            if garbled:
                suspects.append((spec, baud, garbled))
    if suspects:
        spec, baud, garbled = suspects[0]
        raise BusConflict(_conflict_text(spec, baud, garbled), garbled, [])
    return []


def _specs(names: Sequence[str] | None) -> list[LockBoardProtocol]:
    if names is None:  # cheapest first: a full Modbus sweep costs far more than an 8A/80 one
        return sorted(registered(), key=lambda p: (len(p.addresses) * len(p.bauds), p.name))
    try:
        return [get_protocol(n) for n in names]
    except ProtocolError as exc:
        raise ProbeError(str(exc)) from None


def _scan_at(link: SerialLink, codec: Codec, baud: int, targets: list[int],
             reply_timeout_s: float) -> tuple[list[BoardFound], list[int]]:
    found: list[BoardFound] = []
    garbled: list[int] = []
    for board in targets:
        settings = BoardSettings(board, locks=1)  # any lock count: the shortest valid reply will do
        expect = Expect("status_all", board)
        for attempt in range(GARBLED_ATTEMPTS):
            try:
                ex = _exchange(link, codec.encode_status_all(board, 1), codec, expect, settings, reply_timeout_s)
            except NoReply:
                break
            except BadReply:
                if attempt == GARBLED_ATTEMPTS - 1:
                    garbled.append(board)
                continue
            locks = _count_locks(link, codec, board, ex.frame, reply_timeout_s)
            found.append(BoardFound(board, codec.name, baud, locks, round(ex.elapsed_s * 1000, 2)))
            break
    return found, garbled


def _count_locks(link: SerialLink, codec: Codec, board: int, frame: bytes, reply_timeout_s: float) -> int:
    try:
        codec.decode_reply(frame, Expect("status_all", board), BoardSettings(board, locks=1))
    except BoardRefused:
        return 0  # it answers, but refuses even one input
    if not codec.sized_by_request:
        return codec.locks_reported(frame)
    # the board refuses a read past its last input: find the largest read it accepts
    lo, hi = 1, codec.max_locks
    while lo < hi:
        mid = (lo + hi + 1) // 2
        settings = BoardSettings(board, locks=mid)
        try:
            ex = _exchange(link, codec.encode_status_all(board, mid), codec, Expect("status_all", board), settings,
                           reply_timeout_s)
            codec.decode_reply(ex.frame, Expect("status_all", board), settings)
        except BoardRefused:
            hi = mid - 1
            continue
        except (NoReply, BadReply):
            break  # keep what is known
        lo = mid
    return lo


def _conflict_text(spec: LockBoardProtocol, baud: int, addresses: list[int]) -> str:
    where = ", ".join(str(a) for a in addresses)
    return (f"garbled replies at address {where} ({spec.name}, {baud} baud), {GARBLED_ATTEMPTS} times in a row: "
            f"two boards probably share that address - check the boards' address switches (DIP) so each board "
            f"has its own; if only one board is there, check the RS485 termination and wiring")


# -- polarity ---------------------------------------------------------------------------------
def detect_polarity(port: str, found: BoardFound, lock: int = 1, settle_s: float = 0.3) -> BoardPolarity:
    """Pulse `lock` once and see which status bit changes (the door is left open: close it after).
    Raises `PortMissing`, or `ProbeError` when the board does not answer or `lock` is not on it."""
    _check_exists(port)
    spec = _specs([found.protocol])[0]
    codec = spec.make_codec()
    locks = max(1, min(found.locks, spec.max_locks))
    if not 1 <= lock <= locks:
        raise ProbeError(f"lock {lock}: board {found.board} has locks 1-{locks}; pick one of those")
    settings = BoardSettings(found.board, locks=locks)
    link = _open(port, found.baud, spec, 0.1)
    try:
        before = _raw_status(link, codec, settings)
        refusal = _pulse(link, codec, found.board, lock, settings)
        if refusal:
            return BoardPolarity(None, spec.status.open_bit, (refusal,), False)
        deadline = time.monotonic() + settle_s
        after = before
        while time.monotonic() < deadline:
            after = _raw_status(link, codec, settings)
            if after != before:
                break
    finally:
        link.close()
    return _judge(spec, codec, settings, lock, before, after, settle_s)


def _judge(spec: LockBoardProtocol, codec: Codec, settings: BoardSettings, lock: int, before: bytes, after: bytes,
           settle_s: float) -> BoardPolarity:
    board, default_bit = settings.address, spec.status.open_bit
    warnings: list[str] = []
    if _all_read_open(before, settings.locks, default_bit):
        warnings.append(
            f"board {board}: every lock reads open before any command (with {spec.name}'s default: bit {default_bit} "
            f"= open): either every door is open, or this board reads {default_bit} as locked (inverted polarity). "
            f"Close all doors and look; if they are closed, set open_bit = {1 - default_bit} for this board")
    changed = [(i, k) for i, (a, b) in enumerate(zip(before, after)) for k in range(8) if (a ^ b) >> k & 1]
    if not changed:
        warnings.append(f"board {board}: no status bit changed within {settle_s:.1f} s after pulsing lock {lock}: the "
                        f"door did not move (jammed, held shut, stuck) or its sensor is not wired; check lock {lock} "
                        f"and its sensor, or try another lock")
        return BoardPolarity(None, default_bit, tuple(warnings), False)
    if len(changed) > 1:
        warnings.append(f"board {board}: {len(changed)} status bits changed after pulsing lock {lock} (another door "
                        f"moved during the test?): keep the other doors still and run again")
        return BoardPolarity(None, default_bit, tuple(warnings), False)
    index, bit = changed[0]
    open_bit = (after[index] >> bit) & 1  # the door just opened: its new value means open
    group = (lock - 1) // 8
    first, last = index == group, index == len(before) - 1 - group
    if bit != (lock - 1) % 8 or not (first or last):
        warnings.append(f"board {board}: pulsing lock {lock} changed bit {bit} of status byte {index + 1} of "
                        f"{len(before)}, which is not where lock {lock} can be: the board numbers its locks "
                        f"differently, or the wrong lock is wired; check the lock wiring")
        return BoardPolarity(None, open_bit, tuple(warnings), False)
    order = None if first and last else ("first-byte-low" if first else "last-byte-low")
    if open_bit != default_bit and not warnings:
        warnings.append(f"board {board}: reads {open_bit} as open, unlike {spec.name}'s default: set open_bit = "
                        f"{open_bit} for this board")
    ok = not any("every lock reads open" in w for w in warnings)
    return BoardPolarity(order, open_bit, tuple(warnings), ok)


def _all_read_open(raw: bytes, locks: int, open_bit: int) -> bool:
    # every lock's bit, wherever the byte order puts it, reads open: check both orders
    def reads(order: str) -> bool:
        for lock in range(1, locks + 1):
            group = (lock - 1) // 8
            index = group if order == "first" else len(raw) - 1 - group
            if not 0 <= index < len(raw) or (raw[index] >> ((lock - 1) % 8) & 1) != open_bit:
                return False
        return True

    return bool(raw) and (reads("first") or reads("last"))


def _raw_status(link: SerialLink, codec: Codec, settings: BoardSettings) -> bytes:
    expect = Expect("status_all", settings.address)
    last: Exception | None = None
    for _ in range(3):
        try:
            ex = _exchange(link, codec.encode_status_all(settings.address, settings.locks), codec, expect, settings,
                           link.reply_timeout_s)
        except (NoReply, BadReply) as exc:
            last = exc
            continue
        try:
            codec.decode_reply(ex.frame, expect, settings)
        except BoardRefused as exc:
            raise ProbeError(f"{exc}: check the board's lock count (scan again)") from None
        return codec.raw_status(ex.frame)
    raise ProbeError(f"board {settings.address} did not answer a status request ({last}): check its power, address, "
                     f"the RS485 wiring, the protocol and the baud rate (scan the bus again)")


def _pulse(link: SerialLink, codec: Codec, board: int, lock: int, settings: BoardSettings) -> str | None:
    expect = Expect("open", board, lock)
    try:
        ex = _exchange(link, codec.encode_open(board, lock), codec, expect, settings, link.reply_timeout_s)
        codec.decode_reply(ex.frame, expect, settings)
    except BoardRefused as exc:
        return f"board {board}: the board refused to pulse lock {lock}: {exc}"
    except (NoReply, BadReply):
        pass  # the sensor decides whether the door moved; a lost acknowledgement is not a verdict
    return None


# -- port -------------------------------------------------------------------------------------
def _check_exists(port: str) -> None:
    if not os.path.exists(port):
        raise PortMissing(f"{port}: no such serial port - is the USB-RS485 adapter plugged in, and is the path right? "
                          f"(see ls /dev/serial/by-id/)")


def _open(port: str, baud: int, spec: LockBoardProtocol, reply_timeout_s: float) -> SerialLink:
    link = SerialLink(port, baud, reply_timeout_s=reply_timeout_s, gap_s=spec.min_gap_s or None,
                      quiet_s=max(0.02, 20 * 10 / baud))
    if not link.open():
        err = link.last_error
        link.close()
        raise PortMissing(f"{port} cannot be opened: {err}")
    return link


def _exchange(link: SerialLink, request: bytes, codec: Codec, expect: Expect, settings: BoardSettings,
              reply_timeout_s: float):  # noqa: ANN202
    try:
        return link.exchange(request, lambda buf: codec.find_reply(buf, expect, settings), reply_timeout_s)
    except Unreachable as exc:
        raise PortMissing(f"{link.port} became unusable during the probe: {exc}") from None
