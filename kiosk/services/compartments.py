"""The cabinet's tables: compartments and the intent journal (schema + row types + queries).

- `compartments`: one row per compartment of the map: board/lock, size S/M/L, state
  (empty | reserved | loaded | out_of_service), door (open | closed | unknown), the case it holds,
  `attention` (why staff must look at it, or NULL), timestamps.
- `intents`: every door command, written BEFORE it is sent and closed with its outcome. A pickup's
  authorisation id is unique (partial unique index): a compartment opens exactly once per
  authorisation, even across restarts.

The rules (what may happen when) live in `kiosk.services.cabinet`; this module only stores.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from kiosk.services.store import register_migrations

SIZES = ("S", "M", "L")
STATES = ("empty", "reserved", "loaded", "out_of_service")
PURPOSES = ("deposit", "pickup", "technician", "staff")

register_migrations("cabinet", [
    """
    CREATE TABLE compartments (
        id TEXT PRIMARY KEY,
        board INTEGER NOT NULL,
        lock INTEGER NOT NULL,
        size TEXT NOT NULL CHECK (size IN ('S', 'M', 'L')),
        state TEXT NOT NULL DEFAULT 'empty' CHECK (state IN ('empty', 'reserved', 'loaded', 'out_of_service')),
        door TEXT NOT NULL DEFAULT 'unknown' CHECK (door IN ('open', 'closed', 'unknown')),
        case_id TEXT,
        attention TEXT,
        in_map INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        door_changed_at TEXT
    );
    CREATE TABLE intents (
        id INTEGER PRIMARY KEY,
        compartment TEXT NOT NULL REFERENCES compartments(id),
        board INTEGER NOT NULL,
        lock INTEGER NOT NULL,
        purpose TEXT NOT NULL CHECK (purpose IN ('deposit', 'pickup', 'technician', 'staff')),
        auth_id TEXT,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        closed_at TEXT,
        outcome TEXT,
        detail TEXT NOT NULL DEFAULT '',
        seen_open INTEGER NOT NULL DEFAULT 0
    );
    CREATE UNIQUE INDEX intents_one_pickup_per_auth ON intents(auth_id) WHERE purpose = 'pickup';
    CREATE INDEX intents_unfinished ON intents(closed_at) WHERE closed_at IS NULL;
    CREATE INDEX intents_by_compartment ON intents(compartment, id)
    """,
    # `settled`: how a deposit/pickup release ended for the compartment: confirmed (door closed and
    # the state moved on), flagged (staff must look), superseded; NULL = not yet (finding 8)
    """
    ALTER TABLE intents ADD COLUMN settled TEXT;
    UPDATE intents SET settled = 'confirmed' WHERE closed_at IS NOT NULL
    """,
])


@dataclass(frozen=True)
class Compartment:
    id: str
    board: int
    lock: int
    size: str
    state: str
    door: str
    case_id: str | None
    attention: str | None
    updated_at: str

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "Compartment":
        return cls(r["id"], r["board"], r["lock"], r["size"], r["state"], r["door"], r["case_id"], r["attention"],
                   r["updated_at"])

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "board": self.board, "lock": self.lock, "size": self.size, "state": self.state,
                "door": self.door, "case": self.case_id, "attention": self.attention}


@dataclass(frozen=True)
class Intent:
    id: int
    compartment: str
    board: int
    lock: int
    purpose: str
    auth_id: str | None
    actor: str
    reason: str
    created_at: str
    closed_at: str | None
    outcome: str | None
    detail: str
    seen_open: bool

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "Intent":
        return cls(r["id"], r["compartment"], r["board"], r["lock"], r["purpose"], r["auth_id"], r["actor"],
                   r["reason"], r["created_at"], r["closed_at"], r["outcome"], r["detail"], bool(r["seen_open"]))


def get_compartment(conn: sqlite3.Connection, cid: str) -> Compartment | None:
    row = conn.execute("SELECT * FROM compartments WHERE id = ?", (cid,)).fetchone()
    return Compartment.from_row(row) if row else None


def compartment_at(conn: sqlite3.Connection, board: int, lock: int) -> Compartment | None:
    row = conn.execute("SELECT * FROM compartments WHERE board = ? AND lock = ? AND in_map = 1",
                       (board, lock)).fetchone()
    return Compartment.from_row(row) if row else None


def last_intent(conn: sqlite3.Connection, cid: str) -> Intent | None:
    row = conn.execute("SELECT * FROM intents WHERE compartment = ? ORDER BY id DESC LIMIT 1", (cid,)).fetchone()
    return Intent.from_row(row) if row else None


def last_door_intent(conn: sqlite3.Connection, cid: str) -> Intent | None:
    """The compartment's latest deposit or pickup intent (technician opens in between do not count)."""
    row = conn.execute("SELECT * FROM intents WHERE compartment = ? AND purpose IN ('deposit', 'pickup') "
                       "ORDER BY id DESC LIMIT 1", (cid,)).fetchone()
    return Intent.from_row(row) if row else None


def intent_by_id(conn: sqlite3.Connection, intent_id: int) -> Intent | None:
    row = conn.execute("SELECT * FROM intents WHERE id = ?", (intent_id,)).fetchone()
    return Intent.from_row(row) if row else None


def unfinished_intents(conn: sqlite3.Connection) -> list[Intent]:
    return [Intent.from_row(r) for r in conn.execute("SELECT * FROM intents WHERE closed_at IS NULL ORDER BY id")]


def smallest_free(conn: sqlite3.Connection, size: str) -> Compartment | None:
    """The smallest free compartment of at least `size` (then the lowest id), door seen closed, not flagged."""
    fitting = SIZES[SIZES.index(size):]
    marks = ",".join("?" * len(fitting))
    row = conn.execute(
        f"SELECT * FROM compartments WHERE state = 'empty' AND attention IS NULL AND in_map = 1 "
        f"AND size IN ({marks}) AND door = 'closed' "
        f"ORDER BY CASE size WHEN 'S' THEN 0 WHEN 'M' THEN 1 ELSE 2 END, id LIMIT 1",
        fitting,
    ).fetchone()
    return Compartment.from_row(row) if row else None
