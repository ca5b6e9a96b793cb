"""`kiosk locker scan|status|open`: talk to lock-control boards directly (technician, commissioning).

    kiosk locker scan   --port PORT --protocol P [--baud B] [--echo] [--addresses 1-8] [--json]
        -> {"boards": [{"board": 1}, ...]}
    kiosk locker status --port PORT --protocol P --board N [--locks 24]
                        [--status-order last-byte-low|first-byte-low] [--open-bit 1|0] [--json]
        -> {"board": 1, "locks": {"1": "closed", "2": "open", ...}}
    kiosk locker open   --port PORT --protocol P --board N --lock M --reason TEXT [--config F] [--root D] [--json]
        -> {"board": 1, "lock": 3, "result": "opened|not_opened|already_open|no_reply", "ms": 11.8}

`open` is journaled in the station's database (`--config`/`--root`, as the other station commands):
an audit record `locker.open.intent` (who, why, which lock) is written BEFORE the pulse and
`locker.open.result` after it; without a reason, or when the journal cannot be written, nothing is
pulsed (security finding 16). Use `kiosk cabinet open` for configured compartments.

Exit status 0 only on success. A board that does not answer gives `no_reply` within a bounded
time (reply timeout x attempts) and a message that says what to check. These commands own the
port while they run: stop the station first on a real machine (one owner per port).
"""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli._output import emit, fail


def _positive(cast: type) -> object:
    """An argparse type: a number above zero (a bad value is a usage error, exit 2)."""
    def parse(text: str) -> object:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be above zero")
        return value
    return parse


def _common(p: argparse.ArgumentParser) -> None:
    from locker_firmware_bridge.protocols import protocols

    specs = protocols()
    p.add_argument("--port", required=True, help="serial device, e.g. /dev/ttyUSB1")
    p.add_argument("--protocol", required=True, choices=[s.name for s in specs])
    p.add_argument("--baud", type=_positive(int),
                   help="default: the protocol's (" + ", ".join(f"{s.name} {s.default_baud}" for s in specs) + ")")
    p.add_argument("--timeout-ms", type=_positive(float), default=100.0, help="wait for a reply's first byte (default 100)")
    p.add_argument("--echo", action="store_true", help="the RS485 adapter echoes our own bytes: drop them")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _board_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", type=int, required=True)
    p.add_argument("--locks", type=_positive(int), default=None, help="locks on the board (default: the protocol's)")
    p.add_argument("--status-order", choices=["last-byte-low", "first-byte-low"], help="default: the protocol's")
    p.add_argument("--open-bit", type=int, choices=[0, 1], default=None, help="bit value meaning open (default: the protocol's)")
    p.add_argument("--feedback", choices=["closing", "opening"], default="closing")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("locker", help="lock-control boards on a serial port (technician)")
    lsub = p.add_subparsers(dest="locker_command", metavar="ACTION")
    lsub.required = True
    scan = lsub.add_parser("scan", help="which board addresses answer")
    _common(scan)
    scan.add_argument("--addresses", help="e.g. 1-8 or 1,3,5 (default: every address of the protocol)")
    scan.add_argument("--timeout-per-board-ms", type=_positive(float), default=50.0)
    scan.set_defaults(func=_scan)
    status = lsub.add_parser("status", help="door state of every lock of one board")
    _common(status)
    _board_options(status)
    status.set_defaults(func=_status)
    op = lsub.add_parser("open", help="pulse one lock (once; never retried)")
    _common(op)
    _board_options(op)
    op.add_argument("--lock", type=int, required=True)
    op.add_argument("--reason", required=True, help="why the lock is pulsed (written to the audit log first)")
    from kiosk.cli._station_open import add_station_args

    add_station_args(op)
    op.set_defaults(func=_open)


def _bus(args: argparse.Namespace, board: int | None = None) -> Any:
    from locker_firmware_bridge import BoardSettings, LockerBus
    from locker_firmware_bridge.codec import get_codec

    codec = get_codec(args.protocol)
    boards = []
    if board is not None:
        codec.check_address(board)  # a bad --board is a usage error, before the port is touched
        locks = args.locks or codec.protocol.default_locks
        boards.append(BoardSettings(board, locks, args.status_order, args.open_bit, args.feedback))
    bus = LockerBus.create(args.port, args.protocol, boards, args.baud, reply_timeout_s=args.timeout_ms / 1000,
                           echo=args.echo)
    bus.link.open()
    return bus


def _unreachable(args: argparse.Namespace, bus: Any, payload: dict[str, Any]) -> int | None:
    if bus.link.state == "unreachable":
        err = bus.link.last_error
        bus.close()
        extra = {"result": "no_reply"} if "board" in payload else {}
        return fail(args, f"{err}", {**payload, **extra}, code=2)
    return None


def _parse_addresses(text: str | None, lo: int, hi: int) -> list[int]:
    if not text:
        return list(range(lo, hi + 1))
    out: list[int] = []
    for part in text.split(","):
        a, sep, b = part.partition("-")
        try:
            out.extend(range(int(a), int(b) + 1) if sep else [int(a)])
        except ValueError:
            raise ValueError(f"--addresses {text!r}: expected e.g. 1-8 or 1,3,5") from None
    bad = [x for x in out if not lo <= x <= hi]
    if bad:
        raise ValueError(f"--addresses: {bad} outside {lo}-{hi} for this protocol")
    return out


def _scan(args: argparse.Namespace) -> int:
    from locker_firmware_bridge.codec import get_codec

    codec = get_codec(args.protocol)
    try:
        addresses = _parse_addresses(args.addresses, codec.min_address, codec.max_address)
    except ValueError as exc:
        return fail(args, str(exc), {"boards": []}, code=2)
    bus = _bus(args)
    if (rc := _unreachable(args, bus, {"boards": []})) is not None:
        return rc
    try:
        found = bus.scan(addresses, args.timeout_per_board_ms / 1000)
    finally:
        bus.close()
    payload = {"boards": [{"board": b} for b in found]}
    if not found:
        return fail(args, f"no board answered on {args.port} ({args.protocol}, addresses {addresses[0]}-"
                          f"{addresses[-1]}): check the boards' power, the RS485 A/B wiring, the protocol and "
                          f"the baud rate", payload)
    emit(args, payload, "\n".join(f"board {b} answers" for b in found))
    return 0


def _status(args: argparse.Namespace) -> int:
    from locker_firmware_bridge.errors import LinkError, ProtocolError

    try:
        bus = _bus(args, args.board)
    except (ProtocolError, ValueError) as exc:
        return fail(args, str(exc), {"board": args.board}, code=2)
    if (rc := _unreachable(args, bus, {"board": args.board})) is not None:
        return rc
    try:
        status = bus.read_status(args.board)
    except LinkError as exc:
        return fail(args, str(exc), {"board": args.board, "result": exc.kind})
    finally:
        bus.close()
    locks = {str(n): ("open" if v else "closed") for n, v in sorted(status.locks.items())}
    payload: dict[str, Any] = {"board": args.board, "locks": locks}
    text = f"board {args.board} ({status.ms:.1f} ms)\n" + "\n".join(f"  lock {n:>2}: {s}" for n, s in locks.items())
    if status.present is not None:
        payload["items"] = {str(n): v for n, v in sorted(status.present.items())}
    emit(args, payload, text)
    return 0


def _open(args: argparse.Namespace) -> int:
    from locker_firmware_bridge.errors import LinkError, ProtocolError

    try:
        bus = _bus(args, args.board)
        bus.codec.check_address(args.board, args.lock, bus.settings(args.board))
    except (ProtocolError, ValueError) as exc:
        return fail(args, str(exc), {"board": args.board, "lock": args.lock}, code=2)
    base = {"board": args.board, "lock": args.lock}
    if not args.reason.strip():
        bus.close()
        return fail(args, "--reason must say why the lock is pulsed", base, code=2)
    try:
        journal = _Journal(args)
    except Exception as exc:
        bus.close()
        return fail(args, f"cannot write the journal before the pulse ({exc}); nothing was sent", base, code=2)
    if (rc := _unreachable(args, bus, base)) is not None:
        journal.close()
        return rc
    journal.before(args)
    try:
        try:  # the door's state before, so a door already open says so (the pulse is sent anyway)
            was_open = bus.read_status(args.board, retries=0).locks.get(args.lock)
        except LinkError:
            was_open = None
        result = bus.open_lock(args.board, args.lock, was_open=was_open)
    finally:
        bus.close()
    name = "no_reply" if result.result == "unreachable" else result.result
    journal.after(args, name, result.detail)
    payload = {**base, "result": name, "ms": round(result.ms, 1)}
    if result.released:
        emit(args, payload, f"board {args.board} lock {args.lock}: {name} ({result.ms:.1f} ms)")
        return 0
    why = "; ".join(x for x in (result.detail, result.hint) if x)
    return fail(args, f"board {args.board} lock {args.lock}: {name}: {why}", payload)


class _Journal:
    """The station database's audit log, written around a raw lock pulse."""

    def __init__(self, args: argparse.Namespace) -> None:
        from kiosk.cli._station_open import cli_actor, station_files
        from kiosk.services.audit import AuditLog
        from kiosk.services.store import Store

        _config, files = station_files(args)
        self.store = Store(files.database)
        self.audit = AuditLog(self.store)
        self.actor = cli_actor()

    def before(self, args: argparse.Namespace) -> None:
        self.audit.append(self.actor, "locker.open.intent", f"board {args.board} lock {args.lock}",
                          port=args.port, protocol=args.protocol, reason=args.reason[:200])

    def after(self, args: argparse.Namespace, result: str, detail: str) -> None:
        try:
            self.audit.append(self.actor, "locker.open.result", f"board {args.board} lock {args.lock}",
                              result=result, detail=(detail or "")[:200])
        finally:
            self.close()

    def close(self) -> None:
        self.store.close()
