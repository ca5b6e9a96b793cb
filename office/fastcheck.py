"""Contract validation at ingest speed: the SAME JSON Schemas (`kiosk.services.fleet.contract`),
compiled to Python code by fastjsonschema for the yes/no answer (about 10x faster than the
`jsonschema` interpreter); a message that fails is checked again by `contract.check`, which
names the problem. A schema fastjsonschema cannot compile falls back to `contract.check`.
tests/office/test_fastcheck.py holds the two to the same verdicts.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import fastjsonschema

from kiosk.services.fleet import contract

log = logging.getLogger(__name__)


@functools.cache
def _compiled(name: str) -> Callable[[Any], Any] | None:
    schema = dict(contract.schema(name))
    # our schemas use only keywords that mean the same in draft 7, which fastjsonschema knows
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    try:
        return fastjsonschema.compile(schema, formats={"date-time": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                                                                    r"(Z|[+-]\d\d:\d\d)$"})
    except Exception as exc:  # noqa: BLE001 - any compile problem means: use the interpreter
        log.warning("schema %s: fastjsonschema cannot compile it (%s); using jsonschema", name, exc)
        return None


def check(name: str, payload: Any) -> str | None:
    """None when the payload fits the contract, else the problem (as `contract.check` words it)."""
    fn = _compiled(name)
    if fn is not None:
        try:
            fn(payload)
            return None
        except fastjsonschema.JsonSchemaException:
            pass
    return contract.check(name, payload) or (None if fn is None else f"{name}: does not fit the contract")
