"""Staff tasks: sign-in (staff card + PIN), deposit results (投件), retrieve drop-offs and expired
results (取件).

Sign-in: the staff card goes into the ID reader (matched by keyed hash in the staff registry),
then the PIN on the keypad; five wrong PINs lock the person out (`kiosk.services.staff`).

Deposit: scan the envelope's case barcode (or key the case number in) → the station reserves a
free compartment of the result's size → its door opens → the staff member closes it → the case is
`deposited`, a one-time pickup code is issued and sent to the citizen by SMS (the code exists in
memory only for that call), a deposit slip is printed. Then the next envelope, or finish.
A case this station does not know (made at another station; the back office may have assigned
its deposit here) is asked of the back office and kept here (`CaseStore.adopt`) before deposit.
When the SMS fails, the slip carries the pickup code for staff to tell or resend, the case is
marked `sms_failed` so the citizen can see a code after card + face (query flow); nothing retries
the SMS by itself and the screen says so.

Retrieve: the list of compartments holding dropped-off originals and results not collected in
time (or recalled by the back office, `kiosk.services.recalls`) → open one → closed → the
compartment is emptied, an expired or recalled result is marked `expired` (its pickup codes
revoked) and reported.
Outcomes: completed, not_staff, staff_locked, not_permitted, no_compartment, plus identification
outcomes of the card read, timeout, canceled, error.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from kiosk.devices.base import Completion, DeviceEvent, ResultCode
from kiosk.flows.apply import case_from_qr
from kiosk.flows.base import Flow
from kiosk.flows.identify import IdentifyMixin
from kiosk.flows import matters as mx
from kiosk.flows.texts import both, t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.flows.visit_records import Deposit, Retrieval

EXPIRE_AFTER_DAYS = 30  # results not collected within this many days are taken back


class StaffSignInMixin(IdentifyMixin):
    """Card (no face) + PIN. Subclasses set `task` and implement `signed_in()`."""

    need_face = False
    offer_passport = False  # staff sign in with their enrolled resident ID card
    task = "deposit"

    def begin_sign_in(self) -> None:
        self.begin_identify()

    def identified(self) -> None:
        member = self.ctx.services.staff.by_card(self.session.identity.id_number)
        if member is None:
            self.ctx.services.audit.append("station", "staff.unknown_card", self.name,
                                           id_masked=self.session.identity.id_number_masked)
            self.end("not_staff", t("staff.not_staff"))
            return
        if not member.may(self.task):
            self.end("not_permitted", t("staff.not_permitted"))
            return
        self.session.visit.staff.member = member
        self.go("staff_pin")

    def view_staff_pin(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("staff.pin.title"), body=(t("staff.pin.enter"),),
                         actions=(Action("pin", t("common.ok"), "keypad"),), screen="keypad",
                         data={"digits": 6, "mask": True})

    def act_staff_pin(self, action_id: str, pin: str = "", **_: Any) -> bool:
        if action_id != "pin":
            return False
        member = self.session.visit.staff.member
        check = self.ctx.services.staff.check_pin(member.staff_no, str(pin)[:12])
        if check.ok:
            self.error = None
            self.signed_in()
        elif check.reason == "locked":
            self.end("staff_locked", t("staff.locked"))
        else:
            self.error = t("staff.pin.wrong", left=check.attempts_left)
        return True

    def staff_no(self) -> str:
        member = self.session.visit.staff.member
        return member.staff_no if member else "?"

    def signed_in(self) -> None:  # pragma: no cover - every user overrides it
        raise NotImplementedError


class _DoorMixin:
    """Open one compartment, then wait for its door to close (event or polled state)."""

    def _opened_compartment(self) -> str | None:
        return self.session.visit.staff.compartment

    def _door_event(self, event: DeviceEvent, waiting_state: str) -> bool:
        if self.state == waiting_state and event.kind == "door_closed":
            comp = self.ctx.services.cabinet.by_lock(int(event.data.get("board", -1)), int(event.data.get("lock", -1)))
            if comp is not None and comp.id == self._opened_compartment():
                self._closed()
                return True
        return False

    def _poll_door(self) -> None:
        comp = self._opened_compartment()
        if comp and self.ctx.services.cabinet.door(comp) == "closed":
            self._closed()
            self._changed()

    def _closed(self) -> None:  # pragma: no cover
        raise NotImplementedError


class DepositFlow(_DoorMixin, StaffSignInMixin, Flow):
    name = "deposit"
    title_key = "deposit.title"
    initial = "identify_card"
    task = "deposit"
    STEPS = (
        ("staff.step.sign_in", ("identify_card", "staff_pin")),
        ("deposit.step.scan", ("scan_envelope",)),
        ("deposit.step.put_in", ("deposit_open", "deposit_close")),
        ("deposit.step.notify", ("notify", "deposit_done")),
    )

    def __init__(self, ctx: Any) -> None:
        self._card_tries = self._face_tries = 0
        super().__init__(ctx)

    def signed_in(self) -> None:
        self.session.visit.staff.deposited = []
        self.go("scan_envelope")

    def on_event(self, event: DeviceEvent) -> bool:
        return self._door_event(event, "deposit_close")

    # -- envelope -----------------------------------------------------------------------------
    def enter_scan_envelope(self) -> None:
        if self.ctx.devices.scanner is not None:
            self.start("envelope", self.ctx.devices.scanner.scan_code(timeout=self.ctx.idle_timeout_s))

    def view_scan_envelope(self) -> ViewModel:
        actions = [Action("enter_case", t("deposit.scan.key_in"), "keypad"), Action("finish", t("common.finish"),
                                                                                    "secondary")]
        if not self.pending("envelope") and self.ctx.devices.scanner is not None:
            actions.insert(0, Action("rescan", t("common.retry")))
        return ViewModel(self.name, self.state, t("deposit.scan.title"), body=(t("deposit.scan.place"),),
                         actions=tuple(actions), screen="scan", illustration="envelope_barcode",
                         data={"deposited": [d.as_view() for d in self.session.visit.staff.deposited]})

    def act_scan_envelope(self, action_id: str, case_no: str = "", **_: Any) -> bool:
        if action_id == "rescan" and not self.pending("envelope"):
            self.error = None
            self.go("scan_envelope")
            return True
        if action_id == "enter_case":
            self.cancel_command("envelope")
            found = case_from_qr(str(case_no))
            if found is None:
                self.error = t("deposit.scan.bad_number")
                return True
            self._case_found(found)
            return True
        if action_id == "finish":
            self.end("completed", t("deposit.finished", n=len(self.session.visit.staff.deposited)))
            return True
        return False

    def done_envelope(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.CANCELED:
            return
        if c.ok and c.data is not None:
            found = [n for n in (case_from_qr(code.text) for code in c.data.codes) if n]
            if found:
                # an envelope may carry several codes: take one this station knows
                known = [n for n in found if self.ctx.services.cases.find(n) is not None]
                self._case_found((known or found)[0])
                return
            self.error = t("deposit.scan.no_code")
        else:
            self.error = t("deposit.scan.failed")

    def _case_found(self, case_no: str) -> None:
        svc = self.ctx.services
        case = svc.cases.find(case_no)
        if case is None:
            if self.pending("lookup"):
                return
            bo = svc.backoffice
            self.session.visit.staff.looking_up = case_no
            self.error = t("deposit.asking")
            self.start("lookup", svc.run("lookup", lambda: bo.case_status(case_no)))
            return
        if case.status not in ("result_ready", "approved", "rejected"):
            self.error = t("deposit.not_ready", case_no=case_no, status=both(case.status_zh, case.status_en))
            return
        matter = svc.catalog.find(case.matter_code)
        size = mx.result_size(matter) if matter is not None else "S"
        # the back office may already have reserved one for this case (assign_deposit): use it
        held = svc.cabinet.holding(case_no)
        comp = held if held is not None and held.state == "reserved" else None
        for s in ("S", "M", "L")[("S", "M", "L").index(size):]:
            if comp is not None:
                break
            comp = svc.cabinet.reserve(s, case_no, "result")
        if comp is None:
            self.end("no_compartment", t("deposit.full"))
            return
        self.error = None
        self.session.visit.case_no = case_no
        self.session.visit.staff.compartment = comp.id
        self.session.visit.staff.needs_id = bool(matter is not None and mx.pickup_needs_id(matter))
        self.go("deposit_open")

    def done_lookup(self, c: Completion[Any]) -> None:
        """The back office's report of a case made elsewhere: keep it here, then deposit it."""
        staff = self.session.visit.staff
        case_no = staff.looking_up if staff.looking_up is not None else ""
        staff.looking_up = None
        if self.state != "scan_envelope" or not case_no:
            return
        if c.ok:
            try:
                self.ctx.services.cases.adopt(c.data)
            except Exception as exc:
                self.error = t("deposit.unknown_case", case_no=case_no)
                self.ctx.services.audit.append(f"staff:{self.staff_no()}", "deposit.adopt_failed", case_no,
                                               detail=str(exc)[:80])
                return
            self.ctx.services.audit.append(f"staff:{self.staff_no()}", "deposit.case_from_elsewhere", case_no,
                                           station=c.data.station_id[:40])
            self._case_found(case_no)
        elif getattr(c.data, "code", None) == "not_found" or "not_found" in str(c.detail):
            self.error = t("deposit.unknown_anywhere", case_no=case_no)
        else:
            self.error = t("deposit.backoffice_unavailable", case_no=case_no)

    # -- door ---------------------------------------------------------------------------------
    def enter_deposit_open(self) -> None:
        self.start("open", self.ctx.services.cabinet.open(self.session.visit.staff.compartment, "deposit",
                                                          f"staff:{self.staff_no()}"))

    def view_deposit_open(self) -> ViewModel:
        comp = self.session.visit.staff.compartment
        return ViewModel(self.name, self.state, t("deposit.title"), body=(t("deposit.opening", compartment=comp),),
                         busy=True, screen="cabinet", data={"compartment": comp})

    def done_open(self, c: Completion[Any]) -> None:
        comp = self.session.visit.staff.compartment
        if c.ok:
            self.go("deposit_close")
            return
        svc = self.ctx.services
        svc.cabinet.release_reservation(comp)
        svc.audit.append(f"staff:{self.staff_no()}", "deposit.door_not_opened", comp, detail=c.detail[:80])
        self.session.visit.staff.compartment = None
        self.error = t("deposit.door_failed", compartment=comp)
        self.go("scan_envelope")

    def view_deposit_close(self) -> ViewModel:
        comp = self.session.visit.staff.compartment
        return ViewModel(self.name, self.state, t("deposit.title"), body=(t("deposit.put_in", compartment=comp),),
                         screen="cabinet", illustration="close_door", data={"compartment": comp})

    def tick_deposit_close(self) -> None:
        self._poll_door()

    def _closed(self) -> None:
        svc = self.ctx.services
        comp, case_no = self.session.visit.staff.compartment, self.session.visit.case_no
        case = svc.cases.get(case_no)
        svc.cabinet.loaded(comp, case_no)
        now = svc.cabinet.get(comp)
        if now is None or now.state != "loaded":
            # the load was not confirmed (the port flagged the compartment for staff): no "deposited",
            # no code that would later be used up on a compartment the station does not count as loaded
            svc.audit.append(f"staff:{self.staff_no()}", "deposit.not_loaded", case_no, compartment=comp,
                             state=now.state if now else None)
            self.end("not_loaded", t("deposit.not_loaded", compartment=comp))
            return
        svc.cases.set_compartment(case_no, comp)
        if case.status == "approved":
            svc.cases.set_status(case_no, "result_ready", actor=f"staff:{self.staff_no()}")
        svc.cases.set_status(case_no, "deposited", f"已投入{comp}号柜", f"Deposited in {comp}",
                             actor=f"staff:{self.staff_no()}")
        svc.audit.append(f"staff:{self.staff_no()}", "deposit.loaded", case_no, compartment=comp)
        applicant = svc.cases.applicant_hash(case_no)
        # a case made elsewhere whose applicant is not known here yet cannot demand the card at pickup
        issued = svc.codes.issue([case_no], applicant_hash=applicant or None,
                                 id_card_required=bool(applicant) and self.session.visit.staff.needs_id)
        self.go("notify")
        self._notify(case_no, comp, issued)

    def _notify(self, case_no: str, comp: str, issued: Any) -> None:
        from kiosk.services.backoffice import Notification

        bo = self.ctx.services.backoffice
        self.session.visit.staff.pickup_code = issued.code  # for the slip if the SMS fails; wiped with the visit
        note = Notification(case_no, "pickup_code",
                            params={"code": issued.code, "compartment": comp, "station": self.ctx.station_id,
                                    "expires_at": issued.expires_at[:10]})

        def send() -> Any:
            bo.report_status(case_no, "deposited", f"已投入{comp}号柜", f"Deposited in {comp}")
            return bo.notify(note)

        self.start("notified", self.ctx.services.run("notify", send))

    def view_notify(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("deposit.title"), body=(t("deposit.notifying"),), busy=True)

    def done_notified(self, c: Completion[Any]) -> None:
        case_no, comp = self.session.visit.case_no, self.session.visit.staff.compartment
        sent = c.ok and c.data is not None and c.data.accepted
        self.session.visit.staff.notified_to = c.data.to_masked if sent else None
        code = self.session.visit.staff.pickup_code
        self.session.visit.staff.pickup_code = None
        if not sent:
            self.ctx.services.audit.append(f"staff:{self.staff_no()}", "deposit.notify_failed", case_no,
                                           detail=str(c.detail)[:80])
            self.ctx.services.cases.update_receipt(case_no, sms_failed=True)
        deposited = self.session.visit.staff.deposited
        deposited.append(Deposit(case_no, comp, bool(sent)))
        printer = self.ctx.devices.printer
        if printer is not None and printer.class_status.get("paper") not in ("out", "jammed"):
            data = {"case_number": case_no, "compartment": comp, "staff_id": self.staff_no(),
                    "deposited_at": self.clock.now().isoformat(timespec="seconds")}
            to = self.session.visit.staff.notified_to
            if to:
                data["notified_phone_masked"] = to
            elif code:
                data["pickup_code"] = code  # the staff need it to tell or resend: the slip stays with them
            deposited[-1] = replace(deposited[-1], slip="printing")
            self.start("slip", printer.print_document("deposit_slip", data, self.ctx.lang))
        self.go("deposit_done")

    def done_slip(self, c: Completion[Any]) -> None:
        deposited = self.session.visit.staff.deposited
        if deposited:
            deposited[-1] = replace(deposited[-1], slip="printed" if c.ok else "failed")
        if not c.ok:
            self.error = t("deposit.slip_failed")

    def view_deposit_done(self) -> ViewModel:
        last = self.session.visit.staff.deposited[-1]
        body = [t("deposit.done", case_no=last.case_no, compartment=last.compartment)]
        if last.notified:
            body.append(t("deposit.notified"))
        else:
            body.append(t("deposit.sms_failed_slip") if last.slip in ("printing", "printed")
                        else t("deposit.sms_failed_no_slip"))
        return ViewModel(self.name, self.state, t("deposit.title"), body=tuple(body),
                         actions=(Action("next", t("deposit.next")), Action("finish", t("common.finish"),
                                                                              "secondary")),
                         data={"deposited": [d.as_view() for d in self.session.visit.staff.deposited]})

    def act_deposit_done(self, action_id: str, **_: Any) -> bool:
        if action_id == "next":
            visit = self.session.visit  # the next envelope starts afresh; the deposited list stays
            visit.case_no = visit.staff.compartment = visit.staff.notified_to = None
            visit.staff.needs_id = False
            self.go("scan_envelope")
            return True
        if action_id == "finish":
            self.end("completed", t("deposit.finished", n=len(self.session.visit.staff.deposited)))
            return True
        return False

    def cancellable(self) -> bool:
        return self.state not in ("deposit_open", "deposit_close", "notify")

    def release(self) -> None:
        comp = self.session.visit.staff.compartment
        if comp and self.state == "deposit_open":
            self.ctx.services.cabinet.release_reservation(comp)
        if comp and self.state == "deposit_close":
            self.flag_for_staff([comp], "deposit door open when the visit ended; the load was not confirmed")
        super().release()


class RetrieveFlow(_DoorMixin, StaffSignInMixin, Flow):
    name = "retrieve"
    title_key = "retrieve.title"
    initial = "identify_card"
    task = "retrieve"
    STEPS = (
        ("staff.step.sign_in", ("identify_card", "staff_pin")),
        ("retrieve.step.choose", ("retrieve_list",)),
        ("retrieve.step.take", ("retrieve_open", "retrieve_close")),
    )

    def __init__(self, ctx: Any) -> None:
        self._card_tries = self._face_tries = 0
        super().__init__(ctx)

    def signed_in(self) -> None:
        self.session.visit.staff.retrieved = []
        self.go("retrieve_list")

    def on_event(self, event: DeviceEvent) -> bool:
        return self._door_event(event, "retrieve_close")

    def _items(self) -> list[Retrieval]:
        cases = self.ctx.services.cases
        items: list[Retrieval] = []
        done = {i.compartment for i in self.session.visit.staff.retrieved}
        for c in cases.by_status("submitted", "accepted", "approved", "rejected", "result_ready", "deposited",
                                 "expired", "collected", "withdrawn"):
            if c.dropoff_compartment and c.dropoff_compartment not in done:
                items.append(Retrieval("dropoff", c.case_no, c.dropoff_compartment))
        for c in cases.overdue_pickups(EXPIRE_AFTER_DAYS):
            if c.compartment and c.compartment not in done:
                items.append(Retrieval("expired", c.case_no, c.compartment))
        listed = {i.compartment for i in items}
        for r in self.ctx.services.recalls.pending() if self.ctx.services.recalls is not None else ():
            c = cases.find(r.case_no)  # recalled by the back office before the station's own period
            if c is not None and c.status == "deposited" and c.compartment == r.compartment \
                    and r.compartment not in done | listed:
                items.append(Retrieval("recalled", r.case_no, r.compartment))
        return items

    def view_retrieve_list(self) -> ViewModel:
        items = self._items()
        actions: tuple[Action, ...] = (Action("open", t("retrieve.open"), "choice"),) if items else ()
        return ViewModel(self.name, self.state, t("retrieve.title"),
                         body=(t("retrieve.count", n=len(items)),),
                         actions=actions + (Action("finish", t("common.finish"), "secondary"),),
                         screen="list", data={"items": [i.as_view() for i in items],
                                              "retrieved": [i.as_view() for i in self.session.visit.staff.retrieved]})

    def act_retrieve_list(self, action_id: str, compartment: str = "", **_: Any) -> bool:
        if action_id == "finish":
            self.end("completed", t("retrieve.finished", n=len(self.session.visit.staff.retrieved)))
            return True
        if action_id != "open":
            return False
        items = self._items()
        chosen = next((i for i in items if i.compartment == compartment), items[0] if items and not compartment
                      else None)
        if chosen is None:
            self.error = t("retrieve.unknown")
            return True
        self.error = None
        self.session.visit.staff.item = chosen
        self.session.visit.staff.compartment = chosen.compartment
        self.go("retrieve_open")
        return True

    def enter_retrieve_open(self) -> None:
        comp = self.session.visit.staff.compartment
        self.start("open", self.ctx.services.cabinet.open(comp, "retrieve", f"staff:{self.staff_no()}",
                                                          auth_id=f"staff:{self.staff_no()}:{uuid.uuid4().hex}:{comp}"))

    def view_retrieve_open(self) -> ViewModel:
        comp = self.session.visit.staff.compartment
        return ViewModel(self.name, self.state, t("retrieve.title"), body=(t("retrieve.opening", compartment=comp),),
                         busy=True, screen="cabinet", data={"compartment": comp})

    def done_open(self, c: Completion[Any]) -> None:
        comp = self.session.visit.staff.compartment
        if c.ok:
            self.go("retrieve_close")
            return
        self.ctx.services.audit.append(f"staff:{self.staff_no()}", "retrieve.door_not_opened", comp,
                                       detail=c.detail[:80])
        self.error = t("retrieve.door_failed", compartment=comp)
        self.session.visit.staff.compartment = None
        self.go("retrieve_list")

    def view_retrieve_close(self) -> ViewModel:
        comp = self.session.visit.staff.compartment
        return ViewModel(self.name, self.state, t("retrieve.title"), body=(t("retrieve.take_out", compartment=comp),),
                         screen="cabinet", illustration="close_door", data={"compartment": comp})

    def tick_retrieve_close(self) -> None:
        self._poll_door()

    def _closed(self) -> None:
        svc = self.ctx.services
        staff = self.session.visit.staff
        item, comp = staff.item, staff.compartment
        assert item is not None and comp is not None, "a retrieval door closed with no compartment chosen"
        staff.item = staff.compartment = None
        actor = f"staff:{self.staff_no()}"
        svc.cabinet.emptied(comp)
        if item.kind == "dropoff":
            svc.cases.set_dropoff_compartment(item.case_no, None)
        else:
            no = item.case_no
            svc.cases.set_compartment(no, None)
            svc.cases.set_status(no, "expired", "逾期未领取，已取回窗口", "Not collected in time; taken back", actor=actor)
            svc.codes.revoke_for_case(no)
            bo = svc.backoffice
            svc.run("report", lambda: bo.report_status(no, "expired", "逾期未领取", "Not collected in time"))
            if svc.recalls is not None:
                svc.recalls.done(no)
        svc.audit.append(actor, f"retrieve.{item.kind}", item.case_no, compartment=comp)
        self.session.visit.staff.retrieved.append(item)
        self.go("retrieve_list")

    def cancellable(self) -> bool:
        return self.state not in ("retrieve_open", "retrieve_close")

    def release(self) -> None:
        comp = self.session.visit.staff.compartment
        if comp and self.state == "retrieve_close":
            self.flag_for_staff([comp], "retrieval door open when the visit ended; emptying not confirmed")
        super().release()
