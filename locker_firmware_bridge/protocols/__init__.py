"""The lock-board protocol registry: one module per protocol in this package.

A module here that does not start with `_` must define `PROTOCOL = LockBoardProtocol(...)`
(see `locker_firmware_bridge.protocol`). Registering a protocol is adding such a module (and its
tests): the registry finds it by listing this package, so nothing else is edited.

    get_protocol("modbus-rtu").default_baud      -> 9600
    protocol_names()                             -> ("8a80", "kerong-cu", "modbus-rtu")
    get_codec("kerong-cu").encode_open(0, 1)     -> b"\\x02\\x00\\x31\\x03\\x36"
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from locker_firmware_bridge.errors import ProtocolError
from locker_firmware_bridge.protocol import LockBoardProtocol

# The protocol a cabinet URL without `protocol=` speaks (the most widely copied one).
DEFAULT_PROTOCOL = "8a80"


@lru_cache(maxsize=1)
def _registry() -> dict[str, LockBoardProtocol]:
    found: dict[str, LockBoardProtocol] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "PROTOCOL", None)
        if not isinstance(spec, LockBoardProtocol):
            raise TypeError(f"{module.__name__}: a protocol module must define PROTOCOL = LockBoardProtocol(...)")
        if spec.name in found:
            raise TypeError(f"{module.__name__}: protocol name {spec.name!r} is already registered")
        found[spec.name] = spec
    return dict(sorted(found.items()))


def protocols() -> tuple[LockBoardProtocol, ...]:
    """Every registered protocol, by name."""
    return tuple(_registry().values())


def protocol_names() -> tuple[str, ...]:
    return tuple(_registry())


def get_protocol(name: str) -> LockBoardProtocol:
    try:
        return _registry()[name]
    except KeyError:
        raise ProtocolError(f"unknown lock-board protocol {name!r} (allowed: {', '.join(_registry())})") from None
