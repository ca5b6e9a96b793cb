"""`kiosk setup --non-interactive` on 2 emulated boards (8a80, 24 + 8 locks, 9600 baud), timed as
a technician's command (a subprocess: Python start, imports, discovery, bus scan with every
protocol and baud on auto, polarity pulse per board, config check, key, report), beside the
bus's wire-time floor measured in the same run.

    .venv/bin/python -m bench.setup [--rounds 3]

floor = the bytes of every frame the emulator received and sent, at 10 bits a byte at the baud
rate, plus the 3.5-character silent gap before each request; `no-reply waits` = requests no board
answered x the reply timeout (the scan asks every address; silence is the answer for most).
Goal: the command <= 20 s machine time; the ratio says how much is the wire.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._report import write
from hw_sim.locker_board import LockerBoardSim
from hw_sim.wire import byte_time
from locker_firmware_bridge.transport import min_gap

ROOT = Path(__file__).resolve().parent.parent
REPLY_TIMEOUT_MS = 100.0


class CountingSim(LockerBoardSim):
    """The emulator, counting the bytes of every frame it receives and sends."""

    rx_bytes = 0
    tx_bytes = 0

    def _answer(self, port, request, arrived):  # noqa: ANN001, ANN202
        self.rx_bytes += len(request)
        return super()._answer(port, request, arrived)

    def _plug(self) -> None:
        super()._plug()
        assert self.port is not None
        send = self.port.write_paced

        def counted(data: bytes) -> None:
            self.tx_bytes += len(data)
            send(data)

        self.port.write_paced = counted  # type: ignore[method-assign]


def one_run(tmp: Path, n: int) -> dict[str, float]:
    sim = CountingSim("8a80", "1:24,2:8", baud=9600)
    port = sim.start()
    root = tmp / f"run{n}"
    for d in ("dev", "sys", "etc"):
        (root / d).mkdir(parents=True)
    argv = [sys.executable, "-m", "kiosk", "setup", "--non-interactive", "--cabinet-port", port,
            "--station-id", "bench-0001", "--out", str(root / "etc/station.toml"), "--root", str(root),
            "--dev", str(root / "dev"), "--sys", str(root / "sys"), "--locks", "2:8", "--json",
            "--reply-timeout-ms", str(REPLY_TIMEOUT_MS),
            "--id-reader", "sam:///dev/ttyUSB0?baud=115200", "--camera", "v4l2:///dev/video0",
            "--scanner", "v4l2:///dev/video2", "--printer", "tcp://127.0.0.1:9100"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
        wall = time.perf_counter() - t0
    finally:
        sim.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"kiosk setup failed: {out.stderr}")
    bt, gap = byte_time(9600), min_gap(9600)
    return {"wall_s": wall, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "requests": sim.requests, "replies": sim.replies, "bytes": sim.rx_bytes + sim.tx_bytes,
            "wrong_baud_bytes": sim.wrong_baud_bytes,
            "floor_bytes_s": (sim.rx_bytes + sim.tx_bytes) * bt,
            "floor_s": (sim.rx_bytes + sim.tx_bytes) * bt + sim.requests * gap,
            "no_reply_s": (sim.requests - sim.replies) * REPLY_TIMEOUT_MS / 1000}


def startup_s() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kiosk", "setup", "--help"], cwd=ROOT, capture_output=True, timeout=60)
    return time.perf_counter() - t0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.setup")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp:
        runs = [one_run(Path(tmp), n) for n in range(args.rounds)]
    start = statistics.median(startup_s() for _ in range(3))
    last = runs[-1]
    wall = statistics.median(r["wall_s"] for r in runs)
    rows = [
        {"what": "kiosk setup --non-interactive, 2 boards (subprocess)", "median_s": round(wall, 3),
         "max_s": round(max(r["wall_s"] for r in runs), 3),
         "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3), "n": len(runs)},
        {"what": "  of which: Python start + CLI imports (kiosk setup --help)", "median_s": round(start, 3), "n": 3},
        {"what": "  of which: no-reply waits (unanswered requests x reply timeout)",
         "median_s": round(last["no_reply_s"], 3), "n": 1},
        {"what": "wire-time floor: frame bytes at 9600 8N1 + 3.5-char gaps", "median_s": round(last["floor_s"], 4),
         "n": 1},
        {"what": "wire-time floor, bytes only", "median_s": round(last["floor_bytes_s"], 4), "n": 1},
    ]
    write("setup", rows, ["what", "median_s", "max_s", "cpu_s", "n"],
          requests=last["requests"], replies=last["replies"], frame_bytes=last["bytes"],
          wrong_baud_bytes=last["wrong_baud_bytes"], reply_timeout_ms=REPLY_TIMEOUT_MS,
          ratio_to_floor=round(wall / last["floor_s"], 1), goal="command <= 20 s", met=wall <= 20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
