"""The written contract: one JSON Schema per payload (package data in `schemas/`), loaded once.

`validate(name, payload)` raises `ContractError` naming the first problem; `check(name, payload)`
returns the message or None. Station and back office both call it on what they send and receive.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

SCHEMA_NAMES = ("status", "event", "ack", "health", "desired", "reported", "command", "command_args",
                "result", "rpc_request", "rpc_response")


class ContractError(ValueError):
    pass


@functools.cache
def schema(name: str) -> dict[str, Any]:
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    text = resources.files(__package__).joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    s = schema(name)
    cls = jsonschema.validators.validator_for(s)
    cls.check_schema(s)
    return cls(s, format_checker=cls.FORMAT_CHECKER)


def check(name: str, payload: Any) -> str | None:
    err = jsonschema.exceptions.best_match(_validator(name).iter_errors(payload))
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"{name}: {where}: {err.message[:300]}"


def validate(name: str, payload: Any) -> None:
    msg = check(name, payload)
    if msg:
        raise ContractError(msg)
