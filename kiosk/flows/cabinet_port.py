"""`CabinetPort` over the real cabinet service (`kiosk.services.cabinet.CabinetService`).

The service's releases block until the board answers (journal first, send, close the intent,
audit); here they run on their own owner thread and come back to the flow as a `Command`, so the
screen never waits on the serial bus. Reasons map onto the service's rules:

| flow reason | service call |
|---|---|
| `deposit`, `dropoff` | `release_for_deposit` (a reserved compartment) |
| `pickup`, `retrieve` | `release_for_pickup` with the flow's authorisation id (at most once, ever) |
| `door_test` | `technician_open` (state unchanged) |

A release that is refused by the rules (`CabinetError`, `AuthorisationUsed`) completes with
`user_error`; a door that did not open or a board that did not answer completes with
`hardware_error` and the service's result (`not_opened`, `no_reply`, ...) as detail. Nothing is
retried here.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.devices.base import Command, Completion, DeviceError, ResultCode
from kiosk.devices.worker import OwnerThread
from kiosk.flows.ports import Compartment

log = logging.getLogger(__name__)


class ServiceCabinetPort:
    def __init__(self, service: Any, device: Any = None, config: Any = None) -> None:
        self.svc = service
        self.device = device if device is not None else service.cabinet
        self.config = config if config is not None else service.config
        self._owner: OwnerThread | None = None
        # compartment -> the intent id of this port's last deposit/pickup release there: a
        # confirmation matches the flow's own release, not whatever opened the door last
        self._intents: dict[str, int] = {}

    def close(self) -> None:
        if self._owner is not None:
            self._owner.stop()
            self._owner = None

    @staticmethod
    def _c(c: Any) -> Compartment:
        return Compartment(c.id, c.board, c.lock, c.size, c.state, c.case_id)

    def compartments(self) -> list[Compartment]:
        return [self._c(c) for c in self.svc.compartments()]

    def get(self, cid: str) -> Compartment | None:
        from kiosk.services.cabinet import CabinetError

        try:
            return self._c(self.svc.get(cid))
        except CabinetError:
            return None

    def reserve(self, size: str, case_no: str, purpose: str) -> Compartment | None:
        from kiosk.services.cabinet import CabinetError

        try:
            return self._c(self.svc.reserve(size, case_no, actor=f"station:{purpose}"))
        except CabinetError:
            return None

    def open(self, cid: str, reason: str, actor: str, auth_id: str | None = None) -> Command[Any]:
        if self._owner is None:
            self._owner = OwnerThread("cabinet-ops")
        return self._owner.submit(f"release {cid}", lambda _cmd: self._release(cid, reason, actor, auth_id))

    def _release(self, cid: str, reason: str, actor: str, auth_id: str | None) -> str:
        from kiosk.services.cabinet import CabinetError

        try:
            if reason in ("deposit", "dropoff"):
                out = self.svc.release_for_deposit(cid, actor=actor)
            elif reason in ("pickup", "retrieve"):
                out = self.svc.release_for_pickup(cid, auth_id=auth_id or "", actor=actor)
            else:
                out = self.svc.technician_open(cid, reason=reason.replace("_", " "), actor=actor)
        except CabinetError as exc:
            raise DeviceError(ResultCode.USER_ERROR, str(exc)) from None
        if reason in ("deposit", "dropoff", "pickup", "retrieve"):
            self._intents[cid] = out.intent_id
        if not out.ok:
            raise DeviceError(ResultCode.HARDWARE_ERROR, f"{out.result}: {out.detail}".strip(": "), out.result)
        return out.result

    def door(self, cid: str) -> str:
        try:
            return self.svc.door(cid)
        except Exception:
            return "unknown"

    def _confirm(self, cid: str, what: str) -> None:
        from kiosk.services.cabinet import CabinetError

        try:
            self.svc.confirm_closed(cid, actor="station", intent_id=self._intents.get(cid))
            self._intents.pop(cid, None)
        except CabinetError as exc:
            log.warning("cabinet: %s %s not confirmed: %s", what, cid, exc)
            try:  # never leave it unseen: staff must look at it (finding 8)
                self.svc.flag(cid, f"{what} not confirmed: {exc}", actor="station")
            except Exception:
                log.exception("cabinet: could not flag %s", cid)

    def loaded(self, cid: str, case_no: str) -> None:
        self._confirm(cid, "load")

    def emptied(self, cid: str) -> None:
        self._confirm(cid, "emptying")

    def flag(self, cid: str, why: str) -> None:
        try:
            self.svc.flag(cid, why, actor="station")
        except Exception:  # a visit ending must not fail on it; the log keeps the reason
            log.exception("cabinet: could not flag %s (%s)", cid, why)

    def release_reservation(self, cid: str) -> None:
        from kiosk.services.cabinet import CabinetError

        try:
            self.svc.cancel_reservation(cid, actor="station")
        except CabinetError:
            pass

    def holding(self, case_no: str) -> Compartment | None:
        c = self.svc.holding(case_no)
        return self._c(c) if c is not None else None

    def by_lock(self, board: int, lock: int) -> Compartment | None:
        c = self.svc.by_lock(board, lock)
        return self._c(c) if c is not None else None

    def bus_scan(self) -> dict[str, Any]:
        """Poll every board now and compare what answers with the configured compartment map."""
        try:
            self.device.refresh().result(5.0)
        except Exception as exc:
            log.warning("cabinet: bus poll did not finish: %s", exc)
        states = {b["board"]: b for b in self.device.boards()}
        boards = []
        problems = []
        configured = {b.address: b for b in self.config.boards}
        for address, bc in configured.items():
            st = states.get(address, {})
            found = st.get("state") == "ok"
            boards.append({"address": address, "found": found, "locks": bc.locks,
                           "detail": "" if found else str(st.get("last_error") or st.get("state", "not polled"))})
            if not found:
                problems.append(f"board {address} does not answer")
        doors = self.device.doors()
        for c in self.config.compartments:
            if doors.get((c.board, c.lock), "unknown") == "unknown" and c.board in configured and \
                    states.get(c.board, {}).get("state") == "ok":
                problems.append(f"{c.id}: board {c.board} lock {c.lock} reports no door state")
        return {"boards": boards, "map_problems": problems, "compartments": len(self.config.compartments)}
