"""Lock-board round trips through the real bridge against the emulated boards on a pty, each
beside its wire-time floor (reference §3): open, status-all of a 24-lock board, scan of 8 boards,
at 9600 baud (8a80); an open for every other registered protocol at its default baud; and the
commissioning probe: `scan_bus` over 2 boards of one protocol (addresses 1-8, 6 of them silent)
and `detect_polarity` (status, one pulse, status until the bit changes).

    .venv/bin/python -m bench.locker [--rounds 50]

floor = every byte's wire time at the baud rate (8N1) + the 3.5-character silent gaps the bus
needs between frames (only the scans have any); `floor_bytes` leaves the gaps out. A silent
address costs its request's wire time + the reply timeout (the probe cannot know sooner). The emulator
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
from locker_firmware_bridge.codec import Expect
from locker_firmware_bridge.probe import detect_polarity, scan_bus
from locker_firmware_bridge.protocols import protocols
from locker_firmware_bridge.transport import char_time, min_gap

DETAILED = "8a80"  # the protocol measured in detail above (open, status-all, scan), the anchor rows


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

    for spec in protocols():  # one open per other registered protocol, at its default baud
        if spec.name != DETAILED:
            rows.append(_open_row(spec, args.rounds))

    rows.extend(_probe_rows(max(5, args.rounds // 5)))

    worst = max(r["ratio"] for r in rows)  # type: ignore[type-var]
    write("locker", rows, ["operation", "median_ms", "p95_ms", "floor_ms", "ratio", "floor_bytes_ms", "ratio_bytes",
                           "n", "bytes"],
          goal="every ratio <= 1.5", worst_ratio=worst, met=worst <= 1.5)
    return 0


def _open_row(spec, rounds: int) -> dict[str, object]:  # noqa: ANN001
    board = spec.min_address
    sim = LockerBoardSim(spec.name, f"{board}:{spec.default_locks}")
    port = sim.start()
    bus = LockerBus.create(port, spec.name, [BoardSettings(board, spec.default_locks)])
    bus.link.open()
    ct = char_time(spec.default_baud)
    try:
        codec, settings = bus.codec, bus.settings(board)
        expect = Expect("open", board, 1)
        reply = bus.link.exchange(codec.encode_open(board, 1), lambda buf: codec.find_reply(buf, expect, settings)).frame
        nbytes = len(codec.encode_open(board, 1)) + len(reply)
        locks = iter(range(10**6))
        samples = _time(lambda: bus.open_lock(board, next(locks) % spec.default_locks + 1), rounds)
        return _row(f"{spec.name} open ({spec.default_baud})", samples, nbytes * ct, nbytes * ct,
                    f"{len(codec.encode_open(board, 1))} + {len(reply)}")
    finally:
        bus.close()
        sim.close()


def _probe_rows(rounds: int) -> list[dict[str, object]]:
    """scan_bus over addresses 1-8 with boards at 1 and 2 (8a80, 9600), and detect_polarity."""
    timeout = 0.03
    sim = LockerBoardSim("8a80", "1:24,2:24", baud=9600)
    port = sim.start()
    ct, gap = char_time(9600), min_gap(9600)
    rows = []
    try:
        scan_s = _time(lambda: scan_bus(port, protocols=["8a80"], addresses=range(1, 9), reply_timeout_s=timeout),
                       rounds)
        found = scan_bus(port, protocols=["8a80"], addresses=range(1, 9), reply_timeout_s=timeout)
        assert [f.board for f in found] == [1, 2], found
        answered, silent = 2 * (5 + 7) * ct, 6 * (5 * ct + timeout)
        rows.append(_row("probe: scan_bus, 2 of 8 addresses answer (8a80 9600, 30 ms timeout)", scan_s,
                         answered + 6 * 5 * ct, answered + silent + 7 * gap, "2 x (5 + 7) + 6 x (5 + timeout) + 7 gaps"))

        def polarity() -> None:
            sim.cmd_close_all()
            result = detect_polarity(port, found[0], lock=1)
            assert result.ok and result.status_order == "last-byte-low", result

        pol_s = _time(polarity, rounds)
        # status + open + status (the emulator's door opens at once, so one re-read sees it)
        nbytes = (5 + 7) + (5 + 5) + (5 + 7)
        rows.append(_row("probe: detect_polarity, 24-lock board (8a80 9600)", pol_s, nbytes * ct,
                         nbytes * ct + 2 * gap, "(5 + 7) + (5 + 5) + (5 + 7) + 2 gaps"))
        auto_s = _time(lambda: scan_bus(port, addresses=range(1, 9), reply_timeout_s=timeout), 3)
        rows.append(_row("probe: scan_bus, every protocol, stops at 8a80 (info)", auto_s,
                         answered + 6 * 5 * ct, answered + silent + 7 * gap, "as the first probe row"))
    finally:
        sim.close()
    return rows


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
