"""Back-office commands: verify, store before acknowledging, run once, answer every repeat the same.

A command arrives on `k/v1/{kiosk_id}/cmd/{name}` (schema: command.schema.json). The link thread
hands its bytes to `CommandProcessor.receive()` BEFORE it acknowledges the MQTT message
(`manual_ack`): the command is checked and, if good, stored as `accepted` in `fleet_commands`
(with its audit record) in one transaction. Only then is the PUBACK sent. The returned `Job` runs
later on the command worker (`execute()`), which calls the station through a `CommandTarget` and
stores the outcome; the outcome also goes to the outbox as a `command.result` event.

Checks, in order, each with the `reason` the `res` message carries: `malformed` (over 64 KiB, not
JSON, not an object), `unknown_command`, `malformed` (name differs from the topic), `unsigned`,
`malformed`/`bad_args` (schema), `malformed` (lifetime over 1 day), `no_key` (the station has no
back-office key configured), `bad_signature`, `wrong_station`, then a stored `cmd_id`: same content
-> status `duplicate` with the stored result, different content -> `replayed`; then `expired` /
`not_yet_valid` by the injected clock while it is trusted, by the run-time clock after a wall-clock
step (kiosk.services.fleet.command_clock); a stored command not started before its monotonic
deadline is not run (`expired`).
Every rejection is audited (`fleet.command.rejected`). If the database cannot store a command,
`receive()` raises `sqlite3.Error` and the link does not acknowledge the message: the broker
redelivers it on the next session. A command still `accepted` when the station
restarts is marked `failed` ("interrupted"), never re-run: a compartment opens at most once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet import contract, signing
from kiosk.services.fleet.command_clock import CommandClock
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store, register_migrations

log = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 64 * 1024
MAX_LIFETIME_S = 86400
COMMAND_NAMES = ("open_compartment", "assign_deposit", "set_maintenance", "apply_config", "notify_update",
                 "staff_add", "staff_disable", "recall_pickup")
# args never copied into the audit log (a slow hash is still something to try offline)
SECRET_ARGS = ("enrol_code_hash",)

register_migrations("fleet_commands", [
    """
    CREATE TABLE fleet_commands (
        cmd_id TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        name TEXT NOT NULL,
        operator TEXT NOT NULL,
        args TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        detail TEXT NOT NULL DEFAULT '',
        result TEXT,
        received_ts TEXT NOT NULL,
        done_ts TEXT,
        expires_at INTEGER NOT NULL
    )
    """,
])


class CommandTarget(Protocol):
    """What a command may do to the station (implemented by the flows/cabinet wiring).
    Each method returns a small JSON-ready dict for the result (or None) and raises
    `CommandFailed(detail)` when it could not do what was asked."""

    def open_compartment(self, compartment: str, reason: str) -> dict[str, Any] | None: ...
    def assign_deposit(self, case: str, size: str) -> dict[str, Any] | None: ...
    def set_maintenance(self, on: bool) -> dict[str, Any] | None: ...
    def apply_config(self, patch: dict[str, Any]) -> dict[str, Any] | None: ...
    def notify_update(self, info: dict[str, Any]) -> dict[str, Any] | None: ...
    def staff_add(self, args: dict[str, Any]) -> dict[str, Any] | None: ...
    def staff_disable(self, staff_no: str, reason: str) -> dict[str, Any] | None: ...
    def recall_pickup(self, case: str, compartment: str, reason: str) -> dict[str, Any] | None: ...


class CommandFailed(Exception):
    """Raised by a CommandTarget method: the command was valid but could not be carried out."""


def acting(target: Any, actor: str) -> Any:
    """`target.acting_as(actor)` when the target records actors, else nothing."""
    fn = getattr(target, "acting_as", None)
    return fn(actor) if fn is not None else nullcontext()


# command name -> how it calls the target (a new command: its schema, its entry here, its target method)
HANDLERS: dict[str, Callable[[CommandTarget, dict[str, Any]], Any]] = {
    "open_compartment": lambda t, a: t.open_compartment(a["compartment"], a["reason"]),
    "assign_deposit": lambda t, a: t.assign_deposit(a["case"], a["size"]),
    "set_maintenance": lambda t, a: t.set_maintenance(bool(a["on"])),
    "apply_config": lambda t, a: t.apply_config(a["patch"]),
    "notify_update": lambda t, a: t.notify_update(dict(a)),
    "staff_add": lambda t, a: t.staff_add(dict(a)),
    "staff_disable": lambda t, a: t.staff_disable(a["staff_no"], a["reason"]),
    "recall_pickup": lambda t, a: t.recall_pickup(a["case"], a["compartment"], a.get("reason", "")),
}


@dataclass(frozen=True)
class Job:
    cmd_id: str
    name: str
    operator: str
    args: dict[str, Any]
    deadline_mono: float | None = None  # not started by then (monotonic): not run


@dataclass(frozen=True)
class Decision:
    response: dict[str, Any]  # the `res` payload to publish now
    job: Job | None  # run it on the command worker, or None


def _ts(clock: Clock) -> str:
    return clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CommandProcessor:
    def __init__(self, store: Store, kiosk_id: str, public_key: Ed25519PublicKey | None, target: CommandTarget,
                 audit: AuditLog, clock: Clock | None = None, outbox: Outbox | None = None,
                 max_skew_s: float = 300.0) -> None:
        self.store = store
        self.kiosk_id = kiosk_id
        self.public_key = public_key
        self.target = target
        self.audit = audit
        self.clock = clock or SystemClock()
        self.outbox = outbox
        self.max_skew_s = max_skew_s
        store.migrate("fleet_commands")
        self.command_clock = CommandClock(store, self.clock, audit, max_skew_s)

    # ---- receiving (link thread, before the PUBACK) ----------------------------------------------
    def receive(self, topic_name: str, payload: bytes, correlation: bytes | None = None) -> Decision:
        corr = correlation.decode("utf-8", "replace")[:64] if correlation else None
        try:
            return self._receive(topic_name, payload, corr)
        except sqlite3.Error:
            raise  # could not store it: the link must NOT acknowledge it, so the broker redelivers
        except Exception as exc:  # never let a hostile payload reach the link as an exception
            log.exception("command processing failed")
            return self._reject(corr, "malformed", f"could not process the command: {exc.__class__.__name__}",
                                topic_name, "?")

    def _receive(self, topic_name: str, payload: bytes, corr: str | None) -> Decision:
        if len(payload) > MAX_COMMAND_BYTES:
            return self._reject(corr, "malformed", f"command larger than {MAX_COMMAND_BYTES} bytes", topic_name, "?")
        try:
            cmd = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._reject(corr, "malformed", f"not JSON: {str(exc)[:200]}", topic_name, "?")
        if not isinstance(cmd, dict):
            return self._reject(corr, "malformed", "command must be a JSON object", topic_name, "?")
        raw_id = cmd.get("cmd_id")
        cmd_id = raw_id[:64] if isinstance(raw_id, str) else corr
        operator = str(cmd.get("operator", "?"))[:64]
        if topic_name not in COMMAND_NAMES:
            return self._reject(cmd_id, "unknown_command", f"no command named {topic_name[:64]!r}", topic_name, operator)
        if cmd.get("name") != topic_name:
            return self._reject(cmd_id, "malformed", "the name in the command differs from its topic", topic_name, operator)
        if not cmd.get("sig"):
            return self._reject(cmd_id, "unsigned", "the command carries no signature", topic_name, operator)
        problem = contract.check("command", cmd)
        if problem:
            reason = "bad_args" if problem.startswith("command: args") else "malformed"
            return self._reject(cmd_id, reason, problem, topic_name, operator)
        if cmd["expires_at"] - cmd["issued_at"] > MAX_LIFETIME_S or cmd["expires_at"] < cmd["issued_at"]:
            return self._reject(cmd_id, "malformed", "expires_at must be within 1 day after issued_at", topic_name, operator)
        if self.public_key is None:
            return self._reject(cmd_id, "no_key", "this station has no back-office key configured ([fleet] "
                                "command_public_key); it accepts no command", topic_name, operator)
        if not signing.verify(cmd, self.public_key):
            return self._reject(cmd_id, "bad_signature", "signature does not verify with the back office's key",
                                topic_name, operator)
        if cmd["kiosk_id"] != self.kiosk_id:
            return self._reject(cmd_id, "wrong_station", f"command is for {cmd['kiosk_id']}, this is {self.kiosk_id}",
                                topic_name, operator)
        digest = hashlib.sha256(signing.canonical(cmd)).hexdigest()
        stored = self._stored(cmd_id)
        if stored is not None:
            if stored["digest"] != digest:
                return self._reject(cmd_id, "replayed", "cmd_id was used before for a different command",
                                    topic_name, operator)
            self.audit.append(f"backoffice:{operator}", "fleet.command.duplicate", cmd_id, name=topic_name)
            return Decision(self._duplicate(stored), None)
        verdict = self.command_clock.judge(cmd["issued_at"], cmd["expires_at"])
        if verdict.reason is not None:
            return self._reject(cmd_id, verdict.reason, verdict.detail, topic_name, operator,
                                status="expired" if verdict.reason == "expired" else "rejected")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO fleet_commands(cmd_id, digest, name, operator, args, status, detail, received_ts, expires_at) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (cmd_id, digest, topic_name, operator, json.dumps(cmd["args"], ensure_ascii=False), "accepted",
                 "accepted", _ts(self.clock), cmd["expires_at"]))
            self.audit.append(f"backoffice:{operator}", "fleet.command.accepted", cmd_id, name=topic_name,
                              args={k: ("<not recorded>" if k in SECRET_ARGS else v) for k, v in cmd["args"].items()})
        return Decision(self._res(cmd_id, "accepted", "accepted"),
                        Job(cmd_id, topic_name, operator, cmd["args"], verdict.deadline_mono))

    def _reject(self, cmd_id: str | None, reason: str, detail: str, name: str, operator: str,
                status: str = "rejected") -> Decision:
        log.warning("command %s (%s) rejected: %s: %s", cmd_id, name[:64], reason, detail)
        self.audit.append(f"backoffice:{operator}", "fleet.command.rejected", cmd_id or "", name=name[:64],
                          reason=reason, detail=detail)
        return Decision(self._res(cmd_id, status, detail, reason=reason), None)

    def _res(self, cmd_id: str | None, status: str, detail: str, **extra: Any) -> dict[str, Any]:
        out = {"cmd_id": cmd_id, "status": status, "detail": detail[:1000], "ts": _ts(self.clock)}
        out.update({k: v for k, v in extra.items() if v is not None})
        return out

    def _stored(self, cmd_id: str) -> dict[str, Any] | None:
        rows = self.store.query("SELECT * FROM fleet_commands WHERE cmd_id = ?", (cmd_id,))
        return dict(rows[0]) if rows else None

    def _duplicate(self, stored: dict[str, Any]) -> dict[str, Any]:
        result = json.loads(stored["result"]) if stored["result"] else None
        return self._res(stored["cmd_id"], "duplicate", stored["detail"], original_status=stored["status"],
                         result=result, reason=stored["reason"])

    # ---- executing (command worker) --------------------------------------------------------------
    def execute(self, job: Job) -> dict[str, Any]:
        """Run a stored command once through the CommandTarget; store and return its `res` payload."""
        a = job.args
        status, reason, result = "done", None, None
        if self.command_clock.overdue(job.deadline_mono):
            return self._finish(job, "expired", "expired", "expired before it could run; not run", None)
        try:
            handler = HANDLERS.get(job.name)
            if handler is None:  # receive() lets no other name through
                raise CommandFailed(f"no handler for {job.name}")
            with acting(self.target, f"backoffice:{job.operator}"):  # the signed operator is the actor
                result = handler(self.target, a)
            detail = (result or {}).get("detail", f"{job.name} done") if isinstance(result, dict) else f"{job.name} done"
        except CommandFailed as exc:
            status, reason, detail = "failed", None, str(exc) or f"{job.name} failed"
        except Exception as exc:  # a handler bug must not kill the worker or the link
            log.exception("command %s (%s) handler raised", job.cmd_id, job.name)
            status, reason, detail = "failed", "handler_error", f"{exc.__class__.__name__}: {exc}"[:500]
        if result is not None and not isinstance(result, dict):
            result = {"value": str(result)}
        return self._finish(job, status, reason, detail, result)

    def _finish(self, job: Job, status: str, reason: str | None, detail: str,
                result: dict[str, Any] | None) -> dict[str, Any]:
        res = self._res(job.cmd_id, status, detail, reason=reason, result=result)
        with self.store.transaction() as conn:
            conn.execute("UPDATE fleet_commands SET status=?, reason=?, detail=?, result=?, done_ts=? WHERE cmd_id=?",
                         (status, reason, res["detail"], json.dumps(result, ensure_ascii=False) if result else None,
                          res["ts"], job.cmd_id))
            self.audit.append(f"backoffice:{job.operator}", f"fleet.command.{status}", job.cmd_id, name=job.name,
                              detail=res["detail"])
            if self.outbox is not None:
                self.outbox.add(conn, "command.result", {k: v for k, v in res.items() if k != "ts"})
        return res

    def recover(self) -> list[dict[str, Any]]:
        """At start: commands stored as `accepted` but never finished are marked failed, not re-run."""
        out = []
        for row in self.store.query("SELECT cmd_id, name, operator, args FROM fleet_commands WHERE status='accepted'"):
            job = Job(row["cmd_id"], row["name"], row["operator"], json.loads(row["args"]))
            out.append(self._finish(job, "failed", "handler_error",
                                    "interrupted by a restart before it finished; not re-run", None))
        return out

    def stored_result(self, cmd_id: str) -> dict[str, Any] | None:
        row = self._stored(cmd_id)
        return self._duplicate(row) if row else None
