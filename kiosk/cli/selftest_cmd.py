"""`kiosk selftest`: is this installed version good? What an update runs after the restart.

    kiosk selftest [--config /etc/kiosk/station.toml] [--unit kiosk-station.service --settle 15]

Checks, each printed: the station's modules import (this environment is complete), Kivy is
installed, the config loads under this version's rules, and with `--unit` the service stays
active for `--settle` seconds without systemd restarting it (NRestarts unchanged) - a version that
reached READY=1 and then crashes fails here. Exit 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shutil
import subprocess
import time

from kiosk.cli._output import emit

MODULES = ("kiosk.station", "kiosk.flows.registry", "kiosk.services.store", "kiosk.update.apply",
           "locker_firmware_bridge")
DEFAULT_CONFIG = "/etc/kiosk/station.toml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="check this installed version (imports, config, the running service)")
    p.add_argument("--config", default=None, help=f"station config (default {DEFAULT_CONFIG} when it exists)")
    p.add_argument("--unit", default=None, help="systemd unit that must stay active, e.g. kiosk-station.service")
    p.add_argument("--settle", type=float, default=15.0, metavar="S", help="how long the unit must stay up")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_selftest)


def _restarts(unit: str) -> int | None:
    out = subprocess.run(["systemctl", "show", "-p", "NRestarts", "--value", unit], capture_output=True, text=True,
                         timeout=10)
    return int(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip().isdigit() else None


def _active(unit: str) -> bool:
    return subprocess.run(["systemctl", "is-active", "--quiet", unit], timeout=10).returncode == 0


def _selftest(args: argparse.Namespace) -> int:
    checks: list[tuple[str, bool, str]] = []
    for mod in MODULES:
        try:
            importlib.import_module(mod)
            checks.append((f"import {mod}", True, ""))
        except Exception as exc:
            checks.append((f"import {mod}", False, f"{type(exc).__name__}: {exc}"))
    checks.append(("kivy installed", importlib.util.find_spec("kivy") is not None, "pip package kivy"))
    config = args.config or (DEFAULT_CONFIG if os.path.exists(DEFAULT_CONFIG) else None)
    if config:
        from kiosk.config import ConfigError, load_config

        try:
            load_config(config)
            checks.append((f"config {config}", True, ""))
        except ConfigError as exc:
            checks.append((f"config {config}", False, str(exc)))
    if args.unit:
        if shutil.which("systemctl") is None:
            checks.append((f"unit {args.unit}", False, "systemctl not found"))
        else:
            before = _restarts(args.unit)
            end = time.monotonic() + max(args.settle, 0.0)
            up = _active(args.unit)
            while up and time.monotonic() < end:
                time.sleep(0.5)  # polling a service manager's state; nothing to wait on instead
                up = _active(args.unit)
            after = _restarts(args.unit)
            stable = up and (before is None or after == before)
            checks.append((f"unit {args.unit} stays up {args.settle:g} s", stable,
                           "" if stable else f"active={up}, restarts {before} -> {after}"))
    ok = all(c[1] for c in checks)
    emit(args, {"ok": ok, "checks": [{"check": c, "ok": g, "detail": d} for c, g, d in checks]},
         "\n".join(f"{'ok ' if g else 'BAD'} {c}{': ' + d if d and not g else ''}" for c, g, d in checks)
         + f"\nselftest: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1
