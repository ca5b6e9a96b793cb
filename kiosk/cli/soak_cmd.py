"""`kiosk soak`: many visits of every kind on the simulated station, a compressed clock, random
faults and kill -9 restarts; exit 0 only when every invariant holds.

    kiosk soak --visits 100000 --seed 1 --faults --json
    kiosk soak --visits 500 --faults clock_step,kill9 --dir /tmp/soak

The engine is hw_sim/soak (reached through kiosk.simulation). With `--json` the last line is
{"visits", "wrong_door_opens", "double_releases", "lost_events", "lost_items", "unflagged_stuck",
"rss_mb_start", "rss_mb_end", "ms", ...}. Exit 1 names each invariant that failed; exit 2 is bad
input (a non-positive --visits, an unknown fault, a seed that is not a whole number).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from kiosk.cli._output import emit, exit_on_sigterm

SEED_MAX = 2**63 - 1


def _visits(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of visits") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"{n}: the number of visits must be at least 1")
    return n


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 .. {SEED_MAX})") from None
    if not 0 <= n <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{n} is out of range (0 .. {SEED_MAX})")
    return n


def _faults(text: str) -> tuple[str, ...]:
    from kiosk import simulation

    try:
        return tuple(simulation.parse_soak_faults(text))
    except simulation.SoakFaultError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("soak", help="many visits with faults and kill -9 restarts on the simulated station",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--visits", type=_visits, required=True, metavar="N", help="how many visits (>= 1)")
    p.add_argument("--seed", type=_seed, default=1, metavar="S", help="random seed (same seed, same run)")
    p.add_argument("--faults", nargs="?", const="all", default="", type=_faults, metavar="LIST",
                   help="faults to inject: bare --faults (or 'all') for every one, or a comma-separated list of "
                        "board_junk, board_offline, unplug, lock_jam, printer_out, sms_failure, clock_step, kill9")
    p.add_argument("--dir", type=Path, default=None, help="station directory (default: a new temporary one)")
    p.add_argument("--progress", action="store_true", help="print progress (visits, peak RSS) to stderr")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_soak)


def _soak(args: argparse.Namespace) -> int:
    from kiosk import simulation

    exit_on_sigterm()
    # clock steps and board faults are the point here: their warnings are expected, not news (the
    # level is put back afterwards: `kiosk soak` may run inside another program, e.g. the tests)
    kiosk_log = logging.getLogger("kiosk")
    level = kiosk_log.level
    kiosk_log.setLevel(logging.ERROR)
    try:
        return _soak_quietly(args)
    finally:
        kiosk_log.setLevel(level)


def _soak_quietly(args: argparse.Namespace) -> int:
    from kiosk import simulation

    root = args.dir or Path(tempfile.mkdtemp(prefix="kiosk-soak-"))
    if root.exists() and any(root.iterdir()) and not (root / "station.db").exists():
        print(f"kiosk: --dir {root}: not empty and not a soak directory; give an empty or new directory",
              file=sys.stderr)
        return 2
    progress = (lambda done, rss: print(f"soak: {done} visits, peak RSS {rss} MB", file=sys.stderr, flush=True)) \
        if args.progress else None
    faults = args.faults if isinstance(args.faults, tuple) else ()
    result = simulation.run_soak(args.visits, args.seed, faults, root, progress=progress)
    doc = {**result.as_dict(), "dir": str(root), "ok": not result.failed, "failed": result.failed}
    emit(args, doc, "\n".join(f"{k}: {v}" for k, v in doc.items()))
    if result.failed:
        print(f"kiosk: soak: invariant(s) broken: {', '.join(result.failed)} (station files kept in {root})",
              file=sys.stderr)
        return 1
    return 0
