"""Signed commands from operators to stations, with a second operator's approval for door opens.

`request(...)` records a command. A remote door open (`open_compartment`) waits in
`pending_approval` until a DIFFERENT operator with the role approver/supervisor/admin approves it;
other commands are signed and sent at once. The office signs with its Ed25519 key
(`kiosk.services.fleet.signing`, domain kiosk-cmd-v2) and the signed fields include
`operator` = `user:ISSUER` or `user:ISSUER+APPROVER`, so the station's audit names both people
and nobody can change who is named without breaking the signature.
States: pending_approval -> sent -> accepted/done/failed/rejected/duplicate/expired (from `res`);
or refused (approval denied).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from kiosk.services.fleet import contract, signing, topics
from office import auditlog
from office.schema import commands
from office.util import dumps, now_iso

NEEDS_SECOND = frozenset({"open_compartment"})
OPERATOR_NAMES = ("open_compartment", "set_maintenance", "apply_config", "notify_update")
ISSUER_ROLES = frozenset({"operator", "supervisor", "admin"})
APPROVER_ROLES = frozenset({"approver", "supervisor", "admin"})
TTL_S = 300


class CommandError(ValueError):
    pass


def _uuid7() -> str:
    ms = int(time.time() * 1000)
    rand = uuid.uuid4().int & ((1 << 74) - 1)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def build(station: str, name: str, args: dict[str, Any], operator: str, key: Any, ttl_s: int = TTL_S,
          cmd_id: str | None = None) -> dict[str, Any]:
    issued = int(time.time())
    cmd = {"cmd_id": cmd_id or _uuid7(), "kiosk_id": station, "name": name, "operator": operator[:64], "issued_at": issued,
           "expires_at": issued + ttl_s, "args": args}
    cmd["sig"] = signing.sign(cmd, key)
    contract.validate("command", cmd)
    return cmd


def request(conn: Connection, station: str, name: str, args: dict[str, Any], user: str, role: str,
            key: Any) -> dict[str, Any]:
    if name not in OPERATOR_NAMES:
        raise CommandError(f"command {name!r}: one of {', '.join(OPERATOR_NAMES)}")
    if role not in ISSUER_ROLES:
        raise CommandError(f"role {role} cannot issue commands")
    # validate the arguments now (the same schema the station applies), with a placeholder signature
    probe = {"cmd_id": "00000000-0000-7000-8000-000000000000", "kiosk_id": station, "name": name,
             "operator": f"user:{user}"[:64], "issued_at": 0, "expires_at": 1, "args": args, "sig": "A" * 86}
    problem = contract.check("command", probe)
    if problem:
        raise CommandError(problem)
    now = now_iso()
    if name in NEEDS_SECOND:
        cmd_id = _uuid7()
        conn.execute(commands.insert().values(cmd_id=cmd_id, station=station, name=name, args=dumps(args),
                                              operator=user, approver=None, state="pending_approval",
                                              document=None, result=None, created_at=now, updated_at=now))
        auditlog.record(conn, f"user:{user}", "command.request", cmd_id, station=station, name=name, args=args)
        return {"cmd_id": cmd_id, "state": "pending_approval"}
    cmd = build(station, name, args, f"user:{user}", key)
    conn.execute(commands.insert().values(cmd_id=cmd["cmd_id"], station=station, name=name, args=dumps(args),
                                          operator=user, approver=None, state="sent", document=dumps(cmd),
                                          result=None, created_at=now, updated_at=now))
    auditlog.record(conn, f"user:{user}", "command.send", cmd["cmd_id"], station=station, name=name, args=args)
    return {"cmd_id": cmd["cmd_id"], "state": "sent", "command": cmd}


def deposit_task(conn: Connection, station: str, case_no: str, size: str, user: str, key: Any) -> dict[str, Any]:
    """Approving a case whose result is collected from the cabinet sends the station a signed
    `assign_deposit`: it reserves a compartment of the size for the case, where staff deposit it."""
    cmd = build(station, "assign_deposit", {"case": case_no, "size": size}, f"user:{user}", key)
    now = now_iso()
    conn.execute(commands.insert().values(cmd_id=cmd["cmd_id"], station=station, name="assign_deposit",
                                          args=dumps(cmd["args"]), operator=user, approver=None, state="sent",
                                          document=dumps(cmd), result=None, created_at=now, updated_at=now))
    auditlog.record(conn, f"user:{user}", "command.send", cmd["cmd_id"], station=station, name="assign_deposit",
                    case=case_no)
    return {"cmd_id": cmd["cmd_id"], "state": "sent", "command": cmd}


def approve(conn: Connection, cmd_id: str, user: str, role: str, key: Any) -> dict[str, Any]:
    row = conn.execute(select(commands).where(commands.c.cmd_id == cmd_id).with_for_update()).first()
    if row is None:
        raise CommandError(f"no command {cmd_id}")
    if row.state != "pending_approval":
        raise CommandError(f"command {cmd_id} is {row.state}, not waiting for approval")
    if role not in APPROVER_ROLES:
        auditlog.record(conn, f"user:{user}", "command.approve", cmd_id, ok=False, reason=f"role {role}")
        raise CommandError(f"role {role} cannot approve commands")
    if user == row.operator:
        auditlog.record(conn, f"user:{user}", "command.approve", cmd_id, ok=False, reason="own request")
        raise CommandError("a second operator must approve: you requested this command yourself")
    cmd = build(row.station, row.name, json.loads(row.args), f"user:{row.operator}+{user}", key, cmd_id=cmd_id)
    conn.execute(update(commands).where(commands.c.cmd_id == cmd_id).values(
        approver=user, state="sent", document=dumps(cmd), updated_at=now_iso()))
    auditlog.record(conn, f"user:{user}", "command.approve", cmd_id, station=row.station, name=row.name,
                    operator=row.operator)
    return {"cmd_id": cmd["cmd_id"], "state": "sent", "command": cmd}


def publish(mqtt_service: Any, cmd: dict[str, Any]) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = topics.result(cmd["kiosk_id"])
    props.CorrelationData = cmd["cmd_id"].encode()
    props.MessageExpiryInterval = max(1, cmd["expires_at"] - int(time.time()))
    mqtt_service.publish(topics.command(cmd["kiosk_id"], cmd["name"]),
                         json.dumps(cmd, ensure_ascii=False).encode(), 1, False, props)


def list_commands(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(select(commands).order_by(commands.c.created_at.desc())
                                                   .limit(limit))]
