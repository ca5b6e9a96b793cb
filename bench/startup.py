"""Station cold start to READY=1 on the simulated devices (goal: median of 5 <= 5 s).

The simulators run in their own process (started once, as `make run` does); each round starts a
fresh `kiosk run` process on a station config whose device URLs are theirs (`[simulator]` off: the
production start-up path, real drivers, a new store each round) in a real Xvfb window, and times
from the exec to sd_notify's READY=1 (store and devices up, window drawn). Anchor, measured in the
same run: a bare interpreter importing what the station imports (`kiosk.assembly`, `kiosk.app`
with Kivy's window), which no start-up can undercut.

    python -m bench.startup [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._report import write

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 5.0


def _xvfb() -> tuple[subprocess.Popen[bytes], str]:
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        return proc, ":" + f.readline().strip()


def _env(tmp: Path, display: str, notify: str | None = None) -> dict[str, str]:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_USE_DEFAULTCONFIG": "1", "KIVY_NO_CONSOLELOG": "1",
           "KIVY_HOME": str(tmp / "kivy-home"), "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": str(ROOT),
           "DISPLAY": display}
    env.pop("WAYLAND_DISPLAY", None)
    if notify:
        env["NOTIFY_SOCKET"] = notify
    return env


def station_config(urls: dict[str, str], root: Path) -> Path:
    """config/sim.toml as a plain station on the running simulators' URLs."""
    text = (ROOT / "config" / "sim.toml").read_text(encoding="utf-8")
    text = text.replace("enabled = true", "enabled = false")
    text = text.replace('url = "sam://{root}/var/sim/dev/id_reader?baud=115200"', f'url = "{urls["id_reader"]}"')
    text = text.replace('url = "http://127.0.0.1:18181/stream.mjpg"', f'url = "{urls["camera"]}"')
    text = text.replace('camera_url = "http://127.0.0.1:18182/stream.mjpg"', f'camera_url = "{urls["scanner_camera"]}"')
    text = text.replace('url = "tcp://127.0.0.1:19100"', f'url = "{urls["printer"]}"')
    text = re.sub(r'url = "serial://\{root\}/var/sim/dev/cabinet\?', f'url = "{urls["cabinet"].split("?")[0]}?', text)
    path = root / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def one_start(cfg: Path, root: Path, tmp: Path, display: str) -> float:
    from kiosk.services.keyed_hash import create_key

    root.mkdir(parents=True)
    create_key(root / "var" / "sim" / "hash.key")
    sock_path = tmp / f"notify-{root.name}.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(60)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--root", str(root)],
                            cwd=ROOT, env=_env(tmp, display, str(sock_path)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            data = sock.recv(4096).decode()
            if "READY=1" in data.split("\n"):
                return time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        sock.close()


def anchor(tmp: Path, display: str) -> float:
    code = ("import kiosk.assembly, kiosk.station, kiosk.app;"
            "from kivy.core.window import Window; Window.size")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(tmp, display), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.startup")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if shutil.which("Xvfb") is None:
        print("bench.startup: Xvfb is not installed (scripts/bootstrap.sh installs it)", file=sys.stderr)
        return 1
    from hw_sim.station.process import SimProcess

    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    xvfb, display = _xvfb()
    rows: list[dict[str, Any]] = []
    try:
        with SimProcess(ROOT / "config" / "sim.toml", tmp / "sims") as sims:
            cfg = station_config(sims.urls, tmp)
            anchor(tmp, display)  # warm the page cache for both
            for i in range(args.rounds):
                a = anchor(tmp, display)
                s = one_start(cfg, tmp / f"station-{i}", tmp, display)
                rows.append({"round": i + 1, "anchor_imports_s": round(a, 3), "cold_start_to_ready_s": round(s, 3),
                             "ratio": round(s / a, 2)})
    finally:
        xvfb.terminate()
        xvfb.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median(r["cold_start_to_ready_s"] for r in rows)
    med_anchor = statistics.median(r["anchor_imports_s"] for r in rows)
    write("startup", rows, ["round", "anchor_imports_s", "cold_start_to_ready_s", "ratio"],
          median_cold_start_s=round(med, 3), median_anchor_s=round(med_anchor, 3), goal_s=GOAL_S,
          goal_met=med <= GOAL_S)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
