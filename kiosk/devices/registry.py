"""Backend selection by URL: commissioning is configuration.

`sam:///dev/ttyUSB0?baud=115200` -> scheme `sam`, path `/dev/ttyUSB0`, params {"baud": "115200"}.
Each interface module lists its backends as dotted paths in a BACKENDS dict, so choosing a
backend imports only that backend's libraries.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass(frozen=True)
class DeviceUrl:
    raw: str
    scheme: str
    host: str = ""
    port: int | None = None
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """host[:port] + path, the part a backend opens (a device path, a reader name, ...)."""
        hostport = self.host + (f":{self.port}" if self.port else "")
        return hostport + self.path if hostport else self.path

    def param(self, key: str, default: Any = None, cast: type = str) -> Any:
        if key not in self.params:
            return default
        try:
            return cast(self.params[key])
        except ValueError as exc:
            raise ValueError(f"{self.raw}: parameter {key}={self.params[key]!r} is not a valid {cast.__name__}") from exc


def parse_url(raw: str) -> DeviceUrl:
    if "://" not in raw:
        raise ValueError(f"device URL {raw!r} has no scheme (expected e.g. serial:///dev/ttyUSB0)")
    parts = urlsplit(raw)
    host = unquote(parts.hostname or "") if parts.netloc else ""
    try:
        port = parts.port
    except ValueError as exc:
        if not re.fullmatch(r"[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}", parts.netloc):
            raise ValueError(f"device URL {raw!r}: bad port") from exc
        port, host = None, parts.netloc.lower()  # usb://VID:PID (hex) names a device, not host:port
    return DeviceUrl(
        raw=raw,
        scheme=parts.scheme.lower(),
        host=host,
        port=port,
        path=unquote(parts.path),
        params=dict(parse_qsl(parts.query, keep_blank_values=True)),
    )


def create_device(device_class: str, url: str, **kwargs: Any) -> Any:
    """Build the backend the URL selects. `device_class` names the interface module
    (`kiosk.devices.<device_class>`), whose BACKENDS dict maps a scheme to "module:factory";
    the factory takes (DeviceUrl, **kwargs) and returns a Device."""
    parsed = parse_url(url)
    interface = importlib.import_module(f"kiosk.devices.{device_class}")
    backends: dict[str, str] = getattr(interface, "BACKENDS", {})
    if parsed.scheme not in backends:
        known = ", ".join(f"{s}://" for s in sorted(backends)) or "none"
        raise ValueError(f"no {device_class} backend for {parsed.scheme}:// in {url!r} (known: {known})")
    module_name, _, factory_name = backends[parsed.scheme].partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory(parsed, **kwargs)
