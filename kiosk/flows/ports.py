"""The services a flow may use, bundled, and the cabinet port.

Catalog, cases, pickup codes, back office, staff registry and audit are used as they are (all
import no device library). The cabinet is reached through `CabinetPort`, the few operations a
flow needs (reserve, open with the intent journal, door state, load/empty), which the station
implements over `kiosk.services.cabinet` (`kiosk.flows.cabinet_port`).

Blocking calls (the back office may be a network away) are run off the UI thread by
`Services.run(fn)`, which returns a device-style `Command` whose completion comes back through
the core EventQueue like any device completion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kiosk.devices.base import Command


@dataclass(frozen=True)
class Compartment:
    id: str
    board: int
    lock: int
    size: str
    state: str  # empty | reserved | loaded | out_of_service
    content: str | None = None


class CabinetPort(Protocol):
    def compartments(self) -> list[Compartment]: ...
    def get(self, compartment_id: str) -> Compartment | None: ...
    def reserve(self, size: str, case_no: str, purpose: str) -> Compartment | None: ...
    def open(self, compartment_id: str, reason: str, actor: str, auth_id: str | None = None) -> Command[Any]:
        """Release a door (journaled and audited by the service); `auth_id` for pickups."""
    def door(self, compartment_id: str) -> str: ...
    def loaded(self, compartment_id: str, case_no: str) -> None: ...
    def emptied(self, compartment_id: str) -> None: ...
    def release_reservation(self, compartment_id: str) -> None: ...
    def flag(self, compartment_id: str, why: str) -> None:
        """Mark the compartment for staff to check (audited by the service)."""
    def holding(self, case_no: str) -> Compartment | None: ...
    def by_lock(self, board: int, lock: int) -> Compartment | None: ...
    def bus_scan(self) -> dict[str, Any]: ...


@dataclass
class Services:
    """The services a flow may use. `backoffice` is a `kiosk.services.backoffice.BackOffice`;
    `staff` a `kiosk.services.staff.StaffRegistry`; `hasher` a `KeyedHasher`; `audit` an `AuditLog`."""

    catalog: Any  # kiosk.services.catalog.Catalog
    cases: Any  # kiosk.services.cases.CaseStore
    codes: Any  # kiosk.services.pickup_codes.PickupCodes
    cabinet: CabinetPort
    backoffice: Any
    staff: Any
    audit: Any
    hasher: Any
    runner: Any = None  # kiosk.devices.worker.OwnerThread for blocking calls
    diagnostics_dir: str = "var/diagnostics"
    extra: dict[str, Any] = field(default_factory=dict)
    recalls: Any = None  # kiosk.services.recalls.Recalls: results the back office asked staff to take back
    face_attempts: Any = None  # kiosk.services.face_attempts.FaceAttempts; built on the audit's store if None

    def __post_init__(self) -> None:
        store = getattr(self.audit, "store", None)
        if self.face_attempts is None and store is not None and self.hasher is not None:
            from kiosk.services.face_attempts import FaceAttempts

            self.face_attempts = FaceAttempts(store, self.hasher, self.audit, getattr(self.audit, "clock", None))

    def run(self, name: str, fn: Any) -> Command[Any]:
        """Run a blocking call off the UI thread; a `BackofficeError` or any exception becomes
        a failed completion (`hardware_error` with the error code in `detail`)."""
        if self.runner is None:
            from kiosk.devices.worker import OwnerThread
            self.runner = OwnerThread("services")
        return self.runner.submit(name, lambda _cmd: fn())
