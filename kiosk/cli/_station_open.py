"""Open a station's files for a CLI command: config, root, key (refused when missing), store."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from kiosk.config import load_config
from kiosk.services.station_files import StationFiles


def add_station_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="config/sim.toml", help="the station's config file")
    p.add_argument("--root", default=None, help="station directory holding the config's relative paths "
                                                "(default: the current directory)")


def station_files(args: argparse.Namespace) -> tuple[Any, StationFiles]:
    """(config, files); raises ConfigError."""
    config = load_config(args.config)
    return config, StationFiles.of(config, args.root)


def cli_actor() -> str:
    try:
        return f"admin:cli:{getpass.getuser()}"[:64]
    except Exception:  # no user name (container without passwd entry)
        return "admin:cli"
