"""The office's compiled validator gives the same verdict as the contract's jsonschema validator,
on every schema's examples and on hostile variants of them."""

from __future__ import annotations

import copy

import pytest

from kiosk.services.fleet import contract
from office import fastcheck


def _variants(example: dict) -> list[object]:
    out: list[object] = [example, None, [], "x", 1, {}]
    for key in list(example):
        drop = copy.deepcopy(example)
        del drop[key]
        out.append(drop)
        for bad in (None, -1, "", "x" * 5000, [], {}, 1.5, True, "2026-13-45T99:00:00Z"):
            v = copy.deepcopy(example)
            v[key] = bad
            out.append(v)
    extra = copy.deepcopy(example)
    extra["unexpected"] = 1
    out.append(extra)
    return out


INGESTED = ("status", "event", "health", "result", "rpc_request", "command")  # what the office checks


@pytest.mark.parametrize("name", INGESTED)
def test_same_verdicts_as_jsonschema(name):
    examples = contract.schema(name).get("examples", [])
    assert examples, f"schema {name} has examples"
    for example in examples:
        for payload in _variants(example):
            assert (fastcheck.check(name, payload) is None) == (contract.check(name, payload) is None), \
                f"{name}: verdicts differ on {str(payload)[:200]}"


def test_the_refusal_names_the_problem():
    msg = fastcheck.check("event", {"event_id": "x", "seq": 1, "type": "t", "boot_id": "b",
                                    "ts": "2026-12-05T00:00:00Z", "data": {}})
    assert msg is not None and "event_id" in msg
