"""A `StationPlan` as station TOML, checked by the loader `kiosk config check` uses, written atomically.

`render(plan)` gives the text (the shape of config/sim.toml: [station], [storage], [devices.*],
[cabinet] with [[cabinet.boards]] and [[cabinet.compartments]]; real device URLs, no `{sim}`).
`write_config(plan, out)` renders, parses the text in memory (`parse_config`), writes it to a
temporary name beside `out`, loads that file with `load_config` (the very check of
`kiosk config check`) and only then `os.replace`s it into place: `out` is either the old file or
the complete, valid new one. A `ConfigError` leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import tomllib
from pathlib import Path
from typing import Any

from kiosk.config import ConfigError, StationConfig, load_config, parse_config
from kiosk.provisioning.plan import StationPlan


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    raise TypeError(f"no TOML form for {type(v).__name__}")


def _table(name: str, values: dict[str, Any], array: bool = False) -> list[str]:
    head = f"[[{name}]]" if array else f"[{name}]"
    return [head, *(f"{k} = {_value(v)}" for k, v in values.items() if v is not None), ""]


def as_data(plan: StationPlan) -> dict[str, Any]:
    """The plan as the dict the config models validate (what `render` writes)."""
    devices: dict[str, dict[str, Any]] = {}
    for role in ("id_reader", "camera", "scanner", "printer"):
        d = plan.devices[role]
        devices[role] = {"url": d.url} | ({"camera_url": d.camera_url} if d.camera_url else {})
        if role == "id_reader" and d.url.startswith("pcsc:") and plan.trust_store:
            devices[role]["trust_store"] = plan.trust_store
    return {
        "station": {"id": plan.station_id, "name_zh": f"24小时自助服务站 {plan.station_id}",
                    "name_en": f"24-hour self-service station {plan.station_id}"},
        "storage": {"database": "var/station.db", "hash_key_file": "var/hash.key"},
        "devices": devices,
        "cabinet": {
            "url": plan.cabinet_url,
            "boards": [{"address": b.address, "locks": b.locks, "status_order": b.status_order,
                        "open_bit": b.open_bit} for b in plan.boards],
            "compartments": [{"id": c.id, "board": c.board, "lock": c.lock, "size": c.size}
                             for c in plan.compartments],
        },
    }


def render(plan: StationPlan) -> str:
    data = as_data(plan)
    lines = [f"# Station {plan.station_id}: written by `kiosk setup` on "
             f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}.",
             "# Check it with `kiosk config check FILE`; the commissioning report is var/commissioning/report.html.",
             ""]
    lines += _table("station", data["station"])
    lines += _table("storage", data["storage"])
    for role, values in data["devices"].items():
        lines += _table(f"devices.{role}", values)
    cab = data["cabinet"]
    lines += _table("cabinet", {"url": cab["url"]})
    for board in cab["boards"]:
        lines += _table("cabinet.boards", board, array=True)
    for comp in cab["compartments"]:
        lines += _table("cabinet.compartments", comp, array=True)
    return "\n".join(lines)


def validate(text: str, source: str) -> StationConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a bug in render(), not the technician's input
        raise ConfigError(f"{source}: generated TOML does not parse: {exc}") from None
    return parse_config(data, source)


def temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to a temporary file in `path`'s directory, fsync, then rename over `path`."""
    tmp = temp_beside(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class StagedConfig:
    """A rendered, validated config waiting under a temporary name beside its destination:
    `commit()` renames it into place, `discard()` removes it."""

    def __init__(self, plan: StationPlan, out: Path) -> None:
        self.out = out
        self.text = render(plan)
        validate(self.text, str(out))
        self.tmp = temp_beside(out)
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            self.config = load_config(self.tmp)  # exactly what `kiosk config check` runs
        except BaseException:
            self.discard()
            raise

    def commit(self) -> StationConfig:
        os.replace(self.tmp, self.out)
        return load_config(self.out)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)
