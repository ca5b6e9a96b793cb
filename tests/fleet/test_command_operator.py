"""Security finding 6: the operator named in a command becomes the audit actor, so it is signed:
changing it in transit breaks the signature."""

from __future__ import annotations

import json

from tests.fleet.test_commands import _cmd, proc  # noqa: F401 - the fixture


def test_a_changed_operator_breaks_the_signature(proc, command_key) -> None:  # noqa: ANN001, F811
    cmd = _cmd(proc, command_key, operator="ops:wang")
    cmd["operator"] = "ops:somebody-else"  # rewritten on the way, signature kept
    d = proc.receive("set_maintenance", json.dumps(cmd).encode())
    assert d.job is None and d.response["reason"] == "bad_signature"


def test_the_signed_operator_is_the_audit_actor(proc, command_key) -> None:  # noqa: ANN001, F811
    cmd = _cmd(proc, command_key, operator="ops:wang")
    d = proc.receive("set_maintenance", json.dumps(cmd).encode())
    assert d.job is not None
    assert any(r.actor == "backoffice:ops:wang" and r.action == "fleet.command.accepted" for r in proc.audit.records())
