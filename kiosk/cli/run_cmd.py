"""`kiosk run --config FILE`: bring up the station's touch screen on the devices FILE names.

A real station: `kiosk run --config /etc/kiosk/station.toml --root /var/lib/kiosk` builds the
station (kiosk/assembly.py) on its serial ports, PC/SC readers, cameras and printers; a device
that is absent or failing degrades its tasks, never the start. It needs a display (the
kiosk-display unit): without one it says so and exits 2. Under systemd it speaks sd_notify
(READY once the store and devices are up, WATCHDOG from the UI's main loop, STOPPING on SIGTERM).

A simulated station (`[simulator] enabled`, config/sim.toml, what `make run` calls): the
simulators are started as their own process at the config's addresses (hw_sim/station/serve.py),
the station is built on them exactly as a real one, with the back-office double and the sample
staff. With a display: the station window plus the simulator panel in a second window. Without a
display (or `--headless`): says so, starts Kivy on a virtual display (SDL offscreen), plays the
scripted visits through the real screens, writes a screenshot of every step to
`out/screens/<scenario>/NN-<state>.png` plus `out/screens/index.html`, and prints where they are.
Exit status 0 when every played visit ended with its expected outcome.

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
from typing import Any

from kiosk.cli._output import exit_on_sigterm, fail


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
    p.add_argument("--also-shoot", type=_looks, default=(), metavar="LOOKS",
                   help="headless: also capture each distinct screen in these looks, comma-separated: en, elder "
                        "(make run: en,elder)")
    p.add_argument("--lang", choices=("zh", "en"), default=None, help="start language (default: [ui] language)")
    p.add_argument("--elder", action="store_true", help="start in elder mode (larger text and targets)")
    p.add_argument("--no-panel", action="store_true", help="with a display: no simulator panel window")
    p.add_argument("--free-ports", action="store_true", help="simulated station: the simulators take any free TCP "
                                                              "port instead of the config's (beside another make run)")
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
        return _run_real(args, config)
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
    from kiosk import simulation
    from kiosk.scenarios.clock import OffsetClock

    clock = OffsetClock()
    if headless:
        exit_on_sigterm()  # a display run gets its own handler (run_as_service: STOPPING=1 first)
    t0 = time.perf_counter()
    try:  # the simulators at the config's own addresses (a second `make run` is told they are taken)
        station, hub = simulation.start_sim_station(config, root=root, clock=clock, free_ports=args.free_ports)
    except Exception as exc:
        return fail(args, f"simulated station did not start: {type(exc).__name__}: {exc}")
    print(f"kiosk run: station {config.station.id} up in {time.perf_counter() - t0:.1f} s (root {root})", flush=True)
    from kiosk.cli._scenario_needs import lacking as lacking_devices

    lacking = {n: m for n in names if (m := lacking_devices(SCENARIOS[n], station, hub))}
    if lacking and args.scenario:  # asked for by name: say why it cannot be played here
        station.close()
        hub.close()
        return fail(args, "; ".join(f"scenario {n} needs what this station does not have: {m}"
                                    for n, m in lacking.items()))
    for n, m in lacking.items():
        print(f"kiosk run: skipping {n}: this station has no {m} (kiosk scenario {n} --instant plays it)",
              flush=True)
    names = [n for n in names if n not in lacking]
    try:
        return _run_simulated(args, config, station, hub, clock, names, headless)
    finally:
        try:
            station.close()
        finally:
            hub.close()


def _run_simulated(args: argparse.Namespace, config: Any, station: Any, hub: Any, clock: Any, names: list[str],
                   headless: bool) -> int:
    from kiosk import simulation
    from kiosk.app import KioskApp
    from kiosk.scenarios.library import SCENARIOS

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

            player = ScenarioPlayer(app, simulation.SimControls(hub, station), clock, [SCENARIOS[n] for n in names], out,
                                    on_done=done, variants=args.also_shoot)
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
            sock = Path(hub.socket)
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


EX_CONFIG = 78  # sysexits: the configuration (or the station's files) must be fixed; systemd does not retry it


def _looks(text: str) -> tuple[str, ...]:
    """`en,elder` -> ("en", "elder"); an unknown look is a usage error naming the known ones."""
    from kiosk.scenarios.model import SCREEN_LOOKS as known

    looks = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in looks if x not in known]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown look {', '.join(bad)} (known: {', '.join(known)})")
    return looks


def display_reachable() -> str | None:
    """None when a display answers, else why not: $WAYLAND_DISPLAY's socket, or $DISPLAY's X socket
    (a local :N) or TCP port (host:N)."""
    import socket

    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland:
        path = Path(wayland) if wayland.startswith("/") else Path(os.environ.get("XDG_RUNTIME_DIR", "/run/user/0")) / wayland
        return None if path.exists() else f"$WAYLAND_DISPLAY={wayland}: no compositor socket at {path}"
    display = os.environ.get("DISPLAY")
    if not display:
        return "$DISPLAY and $WAYLAND_DISPLAY are empty"
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return f"$DISPLAY={display} is not of the form [host]:N"
    if host in ("", "unix"):
        sock = Path(f"/tmp/.X11-unix/X{number}")
        return None if sock.exists() else f"$DISPLAY={display}: no X server socket at {sock}"
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=2):
            return None
    except OSError as exc:
        return f"$DISPLAY={display}: {exc}"


def _run_real(args: argparse.Namespace, config: Any) -> int:
    """A real station: the devices its config names, a display, systemd's notify protocol."""
    why = "--headless" if args.headless else display_reachable()
    if why:
        return fail(args, f"kiosk run: no display ({why}): the station's touch screen needs one (on a station, "
                          "start it with the kiosk-display unit: deploy/systemd/); the headless scenario player is "
                          "for simulated stations only ([simulator] enabled = true)", code=2)
    _kivy_env(False)
    from kiosk.screens import kiosk_settings

    kiosk_settings.apply(config.ui)
    root = Path(args.root) if args.root else Path.cwd()
    import sqlite3

    from kiosk.assembly import build_station
    from kiosk.services.catalog import CatalogError
    from kiosk.services.keyed_hash import KeyFileError
    from kiosk.services.store import StoreError

    t0 = time.perf_counter()
    try:
        station = build_station(config, root=root)
    except KeyFileError as exc:
        return fail(args, str(exc), code=EX_CONFIG)
    except CatalogError as exc:
        return fail(args, f"the service catalog cannot be used: {exc} (set [catalog] dir to the catalog folder)",
                    code=EX_CONFIG)
    except (StoreError, sqlite3.DatabaseError) as exc:
        return fail(args, f"the station's store {config.storage.database} (under {root}) cannot be opened: {exc} "
                          "(restore the last good backup: kiosk backup restore; a store newer than this software: "
                          "roll the update back: kiosk update rollback)", code=EX_CONFIG)
    except (OSError, ValueError) as exc:
        return fail(args, f"{args.config}: {exc}", code=EX_CONFIG)
    try:
        down = {role: why for role, why in station.available().items() if why}
        fleet = (f"; fleet: joining {config.fleet.broker}" if station.fleet_link is not None
                 else f"; fleet: OFF ({station.fleet_problem or 'no [fleet] broker'})")
        print(f"kiosk run: station {config.station.id} up in {time.perf_counter() - t0:.1f} s (root {root})" + fleet
              + (f"; unavailable: {', '.join(f'{k} ({v})' for k, v in down.items())}" if down else ""), flush=True)
        from kiosk.app import KioskApp
        from kiosk.service_hooks import run_as_service

        app = KioskApp(station, lang=args.lang, elder=args.elder)
        run_as_service(app)  # sd_notify READY/WATCHDOG/STOPPING, SIGTERM, journald (ADR 0140)
        app.run()
        return 0
    finally:
        station.close()
