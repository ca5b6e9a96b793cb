"""Touch-screen benchmark: cold start to the attract screen, screen-switch time, camera-preview
frame rate during face verification, resident memory with the face models loaded.

    .venv/bin/python -m bench.ui            # table + out/bench/ui.json

Each run is a fresh station process, on a virtual X display (`xvfb-run`, Mesa llvmpipe) and with
SDL offscreen rendering (no X server: what `make run` uses without a display). Everything is drawn by
software GL (Mesa llvmpipe) on 2 CPU cores shared with the simulators and the face verifier: the
preview texture's update waits until the frames drawn from it are rasterised, which caps the
preview rate at what the CPU can draw; under Xvfb each frame is also copied to the X server. The simulators run in the benchmark's own
process (as devices are separate hardware on a real station), reached by the station through
their ptys/ports and by the script through the control socket, so the station's memory and CPU
are its own. Cold start is measured from the station process's start (before any import) to the
first frame drawn with the attract screen, split into station start (store, services, drivers,
face models) and the UI (Kivy window, fonts, screens). A screen switch is a touch's
whole path: `flow.act()`/`start_flow()` -> render -> the next frame on screen (`Window.on_flip`).
`camera_fps` is what the camera driver delivered meanwhile (the preview cannot show more);
`ui_fps` counts frames Kivy drew (it draws only when something changed). `rss_mb_ui` is the
station's memory before the face check starts, `rss_mb` after it ran (face models loaded).
Goals (issue 6): cold start <= 5 s, switch <= 100 ms, preview >= 20 fps, memory <= 500 MB.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

T_PROCESS = time.time()  # before the heavy imports: the child's cold start begins here

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"cold_start_s": 5.0, "switch_ms_p95": 100.0, "preview_fps": 20.0, "rss_mb": 500.0}
RUNS = int(os.environ.get("BENCH_UI_RUNS", "3"))


# -- the measured process ---------------------------------------------------------------------------
def child(out_path: str, sims_path: str) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ["KIVY_USE_DEFAULTCONFIG"] = "1"
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-bench-"))
    from kiosk.config import load_config
    from kiosk.core.memory import resident_mb
    from kiosk.screens import kiosk_settings

    config = load_config(ROOT / "config" / "sim.toml")
    kiosk_settings.apply(config.ui)
    from hw_sim.backoffice import SimBackOffice
    from hw_sim.control import ControlClient

    from kiosk.services.catalog import catalog_dir, load_catalog
    from kiosk.assembly import build_station

    sims = json.loads(Path(sims_path).read_text())
    hub = ControlClient(sims["socket"], timeout=10.0)
    t_station0 = time.time()
    root = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    catalog = load_catalog(catalog_dir(config.catalog.dir, ROOT))
    from hw_sim.station.simulated import prepare_sim_root

    prepare_sim_root(config, root)
    station = build_station(config, backoffice=SimBackOffice(catalog=catalog), catalog=catalog, urls=sims["urls"], root=root)
    t_station1 = time.time()
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk.app import KioskApp

    app = KioskApp(station)
    res: dict[str, Any] = {"station_start_s": t_station1 - t_station0}
    flips: list[float] = []
    Window.bind(on_flip=lambda *_: flips.append(time.perf_counter()))

    def after_next_flip(start: float, done: Any) -> None:
        n = len(flips)

        def check(_dt: float) -> bool:
            if len(flips) > n:
                done((flips[n] - start) * 1000)
                return False
            return True

        Clock.schedule_interval(check, 0)

    def script() -> Any:
        # 1. cold start: the first frame with the attract screen drawn
        while not flips:
            yield
        res["cold_start_s"] = time.time() - T_PROCESS - (time.perf_counter() - flips[0])
        res["ui_start_s"] = res["cold_start_s"] - (t_station1 - T_PROCESS)
        yield from pause(0.5)
        # 2. screen switches: attract -> flow (start_flow) and state changes inside a flow
        switches: list[float] = []
        for i in range(12):
            box: list[float] = []
            t0 = time.perf_counter()
            app.start_flow("query" if i % 2 else "collect")
            after_next_flip(t0, box.append)
            while not box:
                yield
            switches.append(box[0])
            box.clear()
            t0 = time.perf_counter()
            app.act("identify")  # method -> identify_card: another template
            after_next_flip(t0, box.append)
            while not box:
                yield
            switches.append(box[0])
            box.clear()
            t0 = time.perf_counter()
            app.go_home()
            after_next_flip(t0, box.append)
            while not box:
                yield
            switches.append(box[0])
            yield from pause(0.05)
        res["switch_ms"] = switches
        # 3. preview frame rate while the face verifier works (the camera shows nobody: it keeps looking)
        res["rss_mb_before_preview"] = resident_mb()
        hub.call("camera", "show", source="nobody")
        flow = app.start_flow("apply", matter_code="ME-001")
        app.act("start")
        yield from pause(1.0)
        n_flips0, t0 = len(flips), time.perf_counter()
        yield from pause(3.0)  # identify_card: an animated picture, no face check running
        res["ui_fps_idle"] = (len(flips) - n_flips0) / (time.perf_counter() - t0)
        hub.call("id_reader", "insert", identity="obama")
        deadline = time.monotonic() + 30
        while flow.state != "identify_face" and time.monotonic() < deadline:
            yield
        res["reached_face"] = flow.state == "identify_face"
        yield from pause(1.0)
        preview = app.flow_screen.template.preview if res["reached_face"] else None
        if preview is not None:
            cam = station.devices.camera
            c0 = cam.snapshot().get("counters", {}).get("frames", 0)
            n0, t0 = preview.shown, time.perf_counter()
            n_flips0 = len(flips)
            yield from pause(5.0)
            dt = time.perf_counter() - t0
            res["preview_fps"] = (preview.shown - n0) / dt
            res["camera_fps"] = (cam.snapshot().get("counters", {}).get("frames", 0) - c0) / dt
            res["ui_fps"] = (len(flips) - n_flips0) / dt
            res["verifying"] = flow.pending("face")
        # 4. memory with the face models loaded (the verifier has run)
        res["rss_mb"] = resident_mb()
        app.go_home()
        app.stop()

    def pause(seconds: float) -> Any:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            yield

    gen = script()

    def poll(_dt: float) -> bool:
        try:
            next(gen)
        except StopIteration:
            return False
        return True

    Clock.schedule_interval(poll, 0)
    try:
        app.run()
    finally:
        station.close()
    Path(out_path).write_text(json.dumps(res))


# -- the parent: runs, table, JSON ------------------------------------------------------------------------
def run_once(display: str) -> dict[str, Any]:
    from hw_sim.station.process import SimProcess

    tmp = Path(tempfile.mkdtemp())
    out = tmp / "r.json"
    with SimProcess(ROOT / "config" / "sim.toml", tmp) as sims:  # the simulators in their own process
        (tmp / "sims.json").write_text(json.dumps({"urls": sims.urls, "socket": sims.socket}))
        return _child_process(display, out, tmp / "sims.json")


def _child_process(display: str, out: Path, sims: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bench.ui", "--child", str(out), str(sims)]
    if display == "xvfb":
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"] + cmd
        env.pop("SDL_VIDEODRIVER", None)
    else:
        env["SDL_VIDEODRIVER"] = "offscreen"
        env.pop("DISPLAY", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if not out.exists():
        raise RuntimeError(f"benchmark child failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def main() -> int:
    from bench._report import write

    displays = ["xvfb", "offscreen"] if shutil.which("xvfb-run") else ["offscreen"]
    rows = []
    summary: dict[str, Any] = {"runs_per_display": RUNS, "goals": GOALS}
    for display in displays:
        switches: list[float] = []
        mine = []
        for i in range(RUNS):
            r = run_once(display)
            switches += r["switch_ms"]
            mine.append({"display": display, "run": i + 1, "cold_start_s": round(r["cold_start_s"], 2),
                         "station_start_s": round(r["station_start_s"], 2), "ui_start_s": round(r["ui_start_s"], 2),
                         "switch_ms_median": round(statistics.median(r["switch_ms"]), 1),
                         "switch_ms_max": round(max(r["switch_ms"]), 1),
                         "camera_fps": round(r.get("camera_fps", 0.0), 1),
                         "preview_fps": round(r.get("preview_fps", 0.0), 1), "ui_fps": round(r.get("ui_fps", 0.0), 1),
                         "rss_mb_ui": round(r["rss_mb_before_preview"], 1), "rss_mb": round(r["rss_mb"], 1)})
        rows += mine
        switches.sort()
        s = {"cold_start_s_median": statistics.median(r["cold_start_s"] for r in mine),
             "switch_ms_median": round(statistics.median(switches), 1),
             "switch_ms_p95": round(switches[int(0.95 * (len(switches) - 1))], 1),
             "preview_fps_median": statistics.median(r["preview_fps"] for r in mine),
             "rss_mb_max": max(r["rss_mb"] for r in mine)}
        s["meets"] = {"cold_start": s["cold_start_s_median"] <= GOALS["cold_start_s"],
                      "switch": s["switch_ms_p95"] <= GOALS["switch_ms_p95"],
                      "preview": s["preview_fps_median"] >= GOALS["preview_fps"],
                      "memory": s["rss_mb_max"] <= GOALS["rss_mb"]}
        summary[display] = s
    summary["load_average"] = os.getloadavg()
    write("ui", rows, ["display", "run", "cold_start_s", "station_start_s", "ui_start_s", "switch_ms_median",
                       "switch_ms_max", "camera_fps", "preview_fps", "ui_fps", "rss_mb_ui", "rss_mb"], **summary)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
