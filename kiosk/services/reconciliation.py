"""Start-up checks that span two services' tables (the cabinet's intents and the pickup codes).

    restored = restore_codes_without_intent(store, audit, clock)   # at start, after CabinetService.start()

A pickup code is used up (`PickupCodes.consume`) just before the first door is journaled
(`intents.auth_id = "pickup-code:<code_id>:<compartment>"`). When the station dies between the two
writes, or every release was refused before it was journaled, the citizen holds a used code that
opened nothing: a station fault must not burn it. Such codes are made active again (if still
unexpired, `verify` decides) and audited; staff see `pickup_code.restored` (security finding 8).
"""

from __future__ import annotations

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.audit import AuditLog
from kiosk.services.store import Store


def restore_codes_without_intent(store: Store, audit: AuditLog, clock: Clock | None = None) -> list[str]:
    """Make used codes that opened no door usable again; returns their code_ids."""
    clock = clock or SystemClock()
    store.migrate("pickup_codes", "cabinet")
    restored: list[str] = []
    with store.transaction() as conn:
        rows = conn.execute(
            "SELECT code_id, used_at FROM pickup_codes WHERE status = 'used' AND NOT EXISTS ("
            "SELECT 1 FROM intents WHERE intents.purpose = 'pickup' "
            "AND intents.auth_id LIKE 'pickup-code:' || pickup_codes.code_id || ':%')").fetchall()
        for row in rows:
            conn.execute("UPDATE pickup_codes SET status = 'active', used_at = NULL WHERE code_id = ?",
                         (row["code_id"],))
            audit.append("system", "pickup_code.restored", row["code_id"], used_at=row["used_at"],
                         why="used up but no door was journaled after it (station fault)")
            restored.append(row["code_id"])
    return restored
