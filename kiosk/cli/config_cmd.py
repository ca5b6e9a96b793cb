"""`kiosk config check FILE`: validate a station configuration and say what is wrong."""

from __future__ import annotations

import argparse

from kiosk.cli._output import emit, fail
from kiosk.config import ConfigError, load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="station configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    check = csub.add_parser("check", help="validate a TOML configuration file")
    check.add_argument("file", nargs="?", default="config/sim.toml")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    try:
        cfg = load_config(args.file)
    except ConfigError as exc:
        return fail(args, str(exc), {"file": args.file, "ok": False})
    emit(args, {"file": args.file, "ok": True, "station": cfg.station.id,
                "compartments": len(cfg.cabinet.compartments)},
         f"{args.file}: OK (station {cfg.station.id}, {len(cfg.cabinet.compartments)} compartments)")
    return 0
