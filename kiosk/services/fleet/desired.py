"""The version of the back office's `desired` settings document this station last applied.

A `desired` document is signed over (kiosk_id, version, settings) and retained by the broker, so
it arrives again after every reconnect or restart. Applying it again would undo later changes
(a `set_maintenance(on)` after it), and an older signed version could be replayed to roll settings
back. The station applies a version only when it is newer than the last one applied; the number is
kept in the store, so a restart does not forget it (security finding 4).

    versions = DesiredVersions(store)
    versions.accept(7)      # True once, when 7 is newer than the applied version (then it is stored)
    versions.applied()      # 7
"""

from __future__ import annotations

from kiosk.services.store import Store, register_migrations

register_migrations("fleet_desired", [
    """
    CREATE TABLE fleet_desired (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    )
    """,
])


class DesiredVersions:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("fleet_desired")

    def applied(self) -> int | None:
        rows = self.store.query("SELECT version FROM fleet_desired WHERE id = 1")
        return int(rows[0][0]) if rows else None

    def accept(self, version: int) -> bool:
        with self.store.transaction() as conn:
            row = conn.execute("SELECT version FROM fleet_desired WHERE id = 1").fetchone()
            if row is not None and int(version) <= int(row[0]):
                return False
            conn.execute("INSERT INTO fleet_desired(id, version) VALUES (1, ?) "
                         "ON CONFLICT(id) DO UPDATE SET version = excluded.version", (int(version),))
            return True
