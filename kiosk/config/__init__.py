"""Station configuration: TOML files validated at start; unknown keys are errors.

`load_config(path)` returns a frozen `StationConfig` or raises `ConfigError`, whose message names
the file, the key, the bad value and what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.config.base import Section
from kiosk.config.cabinet import CabinetConfig
from kiosk.config.devices import DevicesConfig
from kiosk.config.services import BackupSection, CatalogSection, PickupSection
from kiosk.config.station import (
    BackofficeSection,
    FleetSection,
    SessionSection,
    SimulatorSection,
    StationSection,
    StorageSection,
    UiSection,
)
from kiosk.config.update import UpdateSection


class StationConfig(Section):
    station: StationSection
    session: SessionSection = SessionSection()
    storage: StorageSection = StorageSection()
    cabinet: CabinetConfig
    devices: DevicesConfig
    backoffice: BackofficeSection = BackofficeSection()
    fleet: FleetSection = FleetSection()
    ui: UiSection = UiSection()
    simulator: SimulatorSection = SimulatorSection()
    catalog: CatalogSection = CatalogSection()
    pickup: PickupSection = PickupSection()
    backup: BackupSection = BackupSection()
    update: UpdateSection = UpdateSection()


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s):"]
    for err in exc.errors():
        key = _key_path(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            lines.append(f"  {key}: unknown key (value {err['input']!r}); remove it or check its spelling")
        elif kind == "missing":
            lines.append(f"  {key}: required key is missing")
        else:
            allowed = err["msg"].removeprefix("Value error, ")
            lines.append(f"  {key}: bad value {err['input']!r}: {allowed}")
    return "\n".join(lines)


def parse_config(data: dict[str, Any], source: str = "<config>") -> StationConfig:
    try:
        return StationConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, exc)) from None


def load_config(path: str | Path) -> StationConfig:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, str(path))
