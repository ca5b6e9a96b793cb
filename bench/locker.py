"""Lock-board round trips through the real bridge against the emulated boards on a pty, each
beside its wire-time floor (reference §3): open, status-all of a 24-lock board, scan of 8 boards,
at 9600 baud (8a80), plus the Kerong open at 19200 for comparison.

    .venv/bin/python -m bench.locker [--rounds 50]

floor = every byte's wire time at the baud rate (8N1) + the 3.5-character silent gaps the bus
needs between frames (only the scan has any); `floor_bytes` leaves the gaps out. The emulator
adds no turnaround of its own, so the ratio shows what the bridge (and the OS pty path) costs.
Goal: every ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench._report import write
from hw_sim.locker_board import LockerBoardSim
from locker_firmware_bridge import BoardSettings, LockerBus
from locker_firmware_bridge.transport import char_time, min_gap


def _stats(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(len(s) * 0.95))] * 1000


def _time(fn, rounds: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        time.sleep(0.005)  # the bus rests between operations, as between polls
    return out


def _row(name: str, samples: list[float], floor_bytes: float, floor: float, note: str) -> dict[str, object]:
    median, p95 = _stats(samples)
    return {"operation": name, "median_ms": round(median, 2), "p95_ms": round(p95, 2),
            "floor_ms": round(floor * 1000, 2), "ratio": round(median / (floor * 1000), 3),
            "floor_bytes_ms": round(floor_bytes * 1000, 2), "ratio_bytes": round(median / (floor_bytes * 1000), 3),
            "n": len(samples), "bytes": note}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.locker")
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args(argv)
    rows = []

    sim = LockerBoardSim("8a80", [f"{n}:24" for n in range(1, 9)], baud=9600)
    port = sim.start()
    bus = LockerBus.create(port, "8a80", [BoardSettings(n, 24) for n in range(1, 9)])
    bus.link.open()
    ct, gap = char_time(9600), min_gap(9600)
    try:
        locks = iter(range(10**6))
        open_s = _time(lambda: bus.open_lock(1, next(locks) % 24 + 1), args.rounds)
        rows.append(_row("8a80 open (9600)", open_s, 10 * ct, 10 * ct, "5 + 5"))
        status_s = _time(lambda: bus.read_status(1), args.rounds)
        rows.append(_row("8a80 status-all, 24 locks (9600)", status_s, 12 * ct, 12 * ct, "5 + 7"))
        scan_s = _time(lambda: bus.scan(range(1, 9)), max(5, args.rounds // 5))
        rows.append(_row("8a80 scan of 8 boards (9600)", scan_s, 8 * 12 * ct, 8 * 12 * ct + 7 * gap,
                         "8 x (5 + 7) + 7 gaps"))
        assert bus.scan(range(1, 9)) == list(range(1, 9))
    finally:
        bus.close()
        sim.close()

    ksim = LockerBoardSim("kerong-cu", "0:16", baud=19200)
    kport = ksim.start()
    kbus = LockerBus.create(kport, "kerong-cu", [BoardSettings(0, 16)])
    kbus.link.open()
    kct = char_time(19200)
    try:
        klocks = iter(range(10**6))
        k_s = _time(lambda: kbus.open_lock(0, next(klocks) % 16 + 1), args.rounds)
        rows.append(_row("kerong-cu open (19200)", k_s, 14 * kct, 14 * kct, "5 + 9"))
    finally:
        kbus.close()
        ksim.close()

    worst = max(r["ratio"] for r in rows)  # type: ignore[type-var]
    write("locker", rows, ["operation", "median_ms", "p95_ms", "floor_ms", "ratio", "floor_bytes_ms", "ratio_bytes",
                           "n", "bytes"],
          goal="every ratio <= 1.5", worst_ratio=worst, met=worst <= 1.5)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
