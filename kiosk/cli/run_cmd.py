"""`kiosk run --config FILE`: bring up the station's touch screen (what `make run` calls).

With a display: the station window, plus the simulator panel in a second window (a separate
process talking to the simulators' control socket) when the config is a simulated station.
Without a display (no $DISPLAY / $WAYLAND_DISPLAY, or `--headless`): says so, starts Kivy on a
virtual display (SDL offscreen rendering), plays the scripted scenarios through the real screens,
writes a screenshot of every step to `out/screens/<scenario>/NN-<state>.png` plus
`out/screens/index.html`, and prints where they are. Exit status 0 when every played scenario
ended with its expected outcome.

`kiosk run --hash-pin 1234` prints a `[ui] technician_pin_hash` value for a maintenance PIN.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.cli._output import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the station's touch screen (simulated devices with config/sim.toml)")
    p.add_argument("--config", default="config/sim.toml")
    p.add_argument("--root", default=None, help="station directory (default: the current one for a window, "
                                                  "a temporary one for the headless scenario run)")
    p.add_argument("--headless", action="store_true", help="play the scenarios on a virtual display even if a "
                                                           "display is available")
    p.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="headless: play only this scenario (repeatable; default: all)")
    p.add_argument("--out", default="out/screens", help="headless: where the screenshots go")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="start language (default: [ui] language)")
    p.add_argument("--elder", action="store_true", help="start in elder mode (larger text and targets)")
    p.add_argument("--no-panel", action="store_true", help="with a display: no simulator panel window")
    p.add_argument("--hash-pin", metavar="PIN", help="print a technician_pin_hash for PIN and exit")
    p.set_defaults(func=_run)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _kivy_env(headless: bool) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", str(Path("var/kivy-home").resolve()))
    Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # no sound card on a headless box: no ALSA noise
        os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


def _run(args: argparse.Namespace) -> int:
    if args.hash_pin:
        from kiosk.app import hash_pin

        if not args.hash_pin.isdigit() or not 4 <= len(args.hash_pin) <= 8:
            return fail(args, "a maintenance PIN is 4 to 8 digits")
        print(hash_pin(args.hash_pin))
        return 0
    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(args, str(exc))
    if not config.simulator.enabled:
        return fail(args, f"{args.config}: kiosk run brings up simulated stations only ([simulator] enabled = true); "
                          "a real station's back-office wiring is started by the fleet service")
    headless = args.headless or not has_display()
    if headless and not args.headless:
        print("kiosk run: no display found ($DISPLAY and $WAYLAND_DISPLAY are empty): starting the station on a "
              "virtual display (SDL offscreen) and playing the scripted visits through the real screens.", flush=True)
    _kivy_env(headless)
    from kiosk.screens import kiosk_settings

    kiosk_settings.apply(config.ui)
    from kiosk.scenarios.library import SCENARIOS

    names = args.scenario or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        return fail(args, f"no scenario {', '.join(unknown)} (have: {', '.join(SCENARIOS)})")
    root = Path(args.root) if args.root else (Path(tempfile.mkdtemp(prefix="kiosk-run-")) if headless else Path.cwd())
    from kiosk.scenarios.clock import OffsetClock
    from kiosk.scenarios.sim_runner import HubControls
    from kiosk.sim_station import start_sim_station

    clock = OffsetClock()
    t0 = time.perf_counter()
    try:
        station, hub = start_sim_station(config, root=root, clock=clock)
    except Exception as exc:
        return fail(args, f"simulated station did not start: {type(exc).__name__}: {exc}")
    print(f"kiosk run: station {config.station.id} up in {time.perf_counter() - t0:.1f} s (root {root})", flush=True)
    from kiosk.app import KioskApp

    app = KioskApp(station, lang=args.lang, elder=args.elder)
    import logging

    logging.getLogger().setLevel(logging.WARNING if headless else logging.INFO)
    if headless:
        logging.getLogger("kivy").setLevel(logging.WARNING)  # Kivy sets its own logger's level
    panel = None
    results: list[dict] = []
    try:
        if headless:
            from kiosk.screens.scenario_player import ScenarioPlayer

            out = Path(args.out).resolve()

            def done(res: list[dict]) -> None:
                results.extend(res)
                app.stop()

            player = ScenarioPlayer(app, HubControls(hub, station), clock, [SCENARIOS[n] for n in names], out,
                                    on_done=done)
            from kivy.clock import Clock

            Clock.schedule_once(lambda _dt: player.start(), 1.0)
            app.run()
            ok = sum(1 for r in results if r.get("ok"))
            for r in results:
                mark = "ok " if r.get("ok") else "BAD"
                print(f"  {mark} {r['scenario']:<24} {str(r.get('outcome')):<20} {len(r['shots']):>2} screenshots")
            print(f"kiosk run: {ok}/{len(results)} visits ended as expected; screenshots in {out}/<scenario>/, "
                  f"index: {out / 'index.html'}")
            return 0 if results and ok == len(results) else 1
        if not args.no_panel:
            sock = Path(config.simulator.control_socket)
            sock = sock if sock.is_absolute() else root / sock
            panel = subprocess.Popen([sys.executable, "-m", "kiosk.screens.sim_panel", "--socket", str(sock),
                                      "--config", args.config])
            print(f"kiosk run: simulator panel started (pid {panel.pid}) on {sock}", flush=True)
        from kiosk.service_hooks import run_as_service

        run_as_service(app)  # sd_notify READY/WATCHDOG/STOPPING, SIGTERM, journald (ADR 0140)
        app.run()
        return 0
    finally:
        if panel is not None and panel.poll() is None:
            panel.terminate()
            try:
                panel.wait(5)
            except subprocess.TimeoutExpired:
                panel.kill()
        station.close()
        hub.close()
