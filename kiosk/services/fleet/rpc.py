"""Argument and result (de)serialisation of back-office calls carried over MQTT.

Both ends use the `BackOffice` method signatures as the single description of a call: the
station encodes keyword arguments with `to_dict`; the back office rebuilds them with `from_dict`
and the method's type hints, and the station rebuilds the result the same way.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from kiosk.services.backoffice import BackOffice, BackofficeError, to_dict
from kiosk.services.backoffice import _build  # the typed rebuild behind from_dict (also for unions/lists)

METHODS = tuple(n for n, f in inspect.getmembers(BackOffice, inspect.isfunction)
                if getattr(f, "__isabstractmethod__", False))


def encode_args(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    sig = inspect.signature(getattr(BackOffice, method))
    bound = sig.bind(None, *args, **kwargs)
    bound.apply_defaults()
    return {k: to_dict(v) for k, v in bound.arguments.items() if k != "self"}


def decode_args(method: str, data: dict[str, Any]) -> dict[str, Any]:
    if method not in METHODS:
        raise BackofficeError("invalid", f"no back-office call {method!r}")
    hints = get_type_hints(getattr(BackOffice, method))
    params = [p for p in inspect.signature(getattr(BackOffice, method)).parameters if p != "self"]
    unknown = set(data) - set(params)
    if unknown:
        raise BackofficeError("invalid", f"{method}: unknown argument(s) {sorted(unknown)}")
    return {k: _typed(hints[k], v, f"{method}.{k}") if k in hints else v for k, v in data.items()}


def decode_result(method: str, data: Any) -> Any:
    hint = get_type_hints(getattr(BackOffice, method)).get("return")
    if hint is None or hint is type(None):
        return None
    return _typed(hint, data, f"{method}()")


def _typed(tp: Any, data: Any, where: str) -> Any:
    try:
        return _build(tp, data, where)
    except BackofficeError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise BackofficeError("invalid", f"{where}: {exc}") from None


def encode_result(value: Any) -> Any:
    return to_dict(value)
