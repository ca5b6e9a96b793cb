"""Collect (取件): identify (card + face) or enter the SMS pickup code (+ the ID card where the
item requires it) → the compartments holding this person's results open → doors closed →
confirmed → rating (好差评) → receipt.

By card + face the back office is asked for the person's cases first (`kiosk.flows.cases_elsewhere`):
a result deposited here for a case filed at another station was adopted at deposit without an
applicant, and the back office's list binds this person to it (ADR 0260).

A compartment opens only for an authorised person, once per authorisation: a pickup code is used
up (`PickupCodes.consume`) before the doors are opened, and an open is never retried
automatically — a door that does not open ends the visit with its own outcome and an audit
record, so staff can hand the item over.
Outcomes: completed, nothing_to_collect, wrong_person, code_expired, code_used, code_blocked,
code_locked, door_not_opened, plus the identification outcomes, timeout, canceled, error.
"""

from __future__ import annotations

import uuid
from typing import Any

from kiosk.devices.base import Completion, DeviceEvent, ResultCode
from kiosk.flows.base import Flow
from kiosk.flows.cases_elsewhere import ask_for_cases, keep_listed_cases
from kiosk.flows.identify import IdentifyMixin
from kiosk.flows.rating import RatingStep
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.flows.visit_records import PickupItem

CODE_OUTCOMES = {
    "expired": ("code_expired", "collect.code.expired"),
    "revoked": ("code_expired", "collect.code.revoked"),
    "used": ("code_used", "collect.code.used"),
    "blocked": ("code_blocked", "collect.code.blocked"),
    "locked": ("code_locked", "collect.code.locked"),
    "slow": ("code_locked", "collect.code.slow"),
    "wrong_person": ("wrong_person", "collect.wrong_person"),
}


class CollectFlow(IdentifyMixin, RatingStep, Flow):
    name = "collect"
    title_key = "collect.title"
    initial = "method"
    STEPS = (
        ("collect.step.method", ("method", "code_entry")),
        ("collect.step.identify", ("identify_card", "identify_passport", "identify_passport_chip", "identify_face",
                                   "finding")),
        ("collect.step.take", ("opening", "take", "confirm")),
        ("collect.step.rate", ("rating",)),
        ("collect.step.receipt", ("receipt", "done")),
    )

    def __init__(self, ctx: Any) -> None:
        self.via_code = False
        super().__init__(ctx)

    # -- method -------------------------------------------------------------------------------
    def view_method(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("collect.method.title"), body=(t("collect.method.hint"),),
                         actions=(Action("identify", t("collect.method.identify")),
                                  Action("code", t("collect.method.code"))), screen="choose")

    def act_method(self, action_id: str, **_: Any) -> bool:
        if action_id == "identify":
            self.via_code = False
            self.need_face = True
            self.begin_identify()
        elif action_id == "code":
            self.via_code = True
            self.go("code_entry")
        else:
            return False
        return True

    # -- pickup code --------------------------------------------------------------------------
    def view_code_entry(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("collect.code.title"), body=(t("collect.code.enter"),),
                         actions=(Action("code", t("common.ok"), "keypad"),), screen="keypad",
                         data={"digits": 6, "mask": False})

    def act_code_entry(self, action_id: str, code: str = "", **_: Any) -> bool:
        if action_id != "code":
            return False
        code = str(code)[:12]
        check = self.ctx.services.codes.verify(code, session=self.session.id)
        self._code_result(code, check)
        return True

    def _code_result(self, code: str, check: Any) -> None:
        if check.outcome in ("wrong", "malformed"):
            self.error = t("collect.code.wrong", left=check.attempts_left) if check.attempts_left else \
                t("collect.code.wrong_plain")
            return
        if check.outcome in CODE_OUTCOMES:
            outcome, key = CODE_OUTCOMES[check.outcome]
            self.end(outcome, t(key))
            return
        self.session.visit.collect.pickup_code = code
        if check.outcome == "id_required":
            self.error = None
            self.need_face = False  # the code proves the SMS; the card proves the person
            self.begin_identify()
            return
        self._authorised(list(check.case_nos), check.code_id)

    # -- after identification -----------------------------------------------------------------
    def identified(self) -> None:
        identity = self.session.identity
        if self.via_code:
            code = self.session.visit.collect.pickup_code or ""
            check = self.ctx.services.codes.verify(code, identity.id_number, session=self.session.id)
            if check.outcome == "ok":
                self._authorised(list(check.case_nos), check.code_id)
            else:
                self._code_result(code, check)
                if not self.ended:
                    self.end("wrong_person", t("collect.wrong_person"))
            return
        ask_for_cases(self)  # a result deposited here for a case filed elsewhere names no applicant yet
        self.go("finding")

    def view_finding(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("collect.finding.title"), body=(t("collect.finding.body"),),
                         busy=True)

    def done_lookup(self, c: Completion[Any]) -> None:
        """The back office's list of this person's cases: a result kept here whose applicant was
        unknown gets this person (cases kept elsewhere are not adopted: nothing of them is here).
        Without an answer the local records decide."""
        identity = self.session.identity
        if self.state != "finding" or identity is None:
            return
        keep_listed_cases(self.ctx.services.cases, c, identity.id_number, adopt=False)
        waiting = self.ctx.services.cases.awaiting_pickup(identity.id_number)
        if not waiting:
            self.end("nothing_to_collect", t("collect.nothing"))
            return
        self._authorised([x.case_no for x in waiting], None)

    def _authorised(self, case_nos: list[str], code_id: str | None) -> None:
        cases = self.ctx.services.cases
        items = []
        for no in case_nos:
            case = cases.find(no)
            if case is not None and case.status == "deposited" and case.compartment:
                items.append(PickupItem(no, case.compartment, case.matter_code))
        if not items:
            self.end("nothing_to_collect", t("collect.nothing"))
            return
        if code_id is not None and not self.ctx.services.codes.consume(code_id):
            self.end("code_used", t("collect.code.used"))
            return
        self.session.visit.collect.auth = f"pickup-code:{code_id}" if code_id else f"identity:{uuid.uuid4().hex}"
        self.session.visit.collect.items = items
        self.session.visit.collect.opened = []
        self.session.visit.collect.failed = []
        self.ctx.services.audit.append("station", "collect.authorised", ",".join(i.case_no for i in items),
                                       via="code" if code_id else "identity",
                                       compartments=[i.compartment for i in items])
        self.go("opening")

    def on_event(self, event: DeviceEvent) -> bool:
        if self.on_face_event(event):
            return True
        if self.state == "take" and event.kind == "door_closed":
            comp = self.ctx.services.cabinet.by_lock(int(event.data.get("board", -1)), int(event.data.get("lock", -1)))
            if comp is not None and comp.id in self.session.visit.collect.opened:
                self._check_closed()
                return True
        return False

    # -- opening ------------------------------------------------------------------------------
    def _next_to_open(self) -> PickupItem | None:
        done = set(self.session.visit.collect.opened) | set(self.session.visit.collect.failed)
        for item in self.session.visit.collect.items:
            if item.compartment not in done:
                return item
        return None

    def enter_opening(self) -> None:
        item = self._next_to_open()
        if item is None:
            if not self.session.visit.collect.opened:
                self.end("door_not_opened", t("collect.door_failed_all"))
            else:
                self.go("take")
            return
        self.session.visit.collect.opening = item.compartment
        auth = f"{self.session.visit.collect.auth}:{item.compartment}"
        self.start("open", self.ctx.services.cabinet.open(item.compartment, "pickup", "citizen", auth_id=auth))

    def view_opening(self) -> ViewModel:
        comp = self.session.visit.collect.opening
        return ViewModel(self.name, self.state, t("collect.opening.title"),
                         body=(t("collect.opening.body", compartment=comp),), busy=True, screen="cabinet",
                         data={"compartment": comp})

    def done_open(self, c: Completion[Any]) -> None:
        comp = self.session.visit.collect.opening
        self.session.visit.collect.opening = None
        if comp is None:
            return
        if c.ok:
            self.session.visit.collect.opened.append(comp)
        else:
            self.session.visit.collect.failed.append(comp)
            self.ctx.services.audit.append("station", "collect.door_not_opened", comp, detail=c.detail[:80])
        self.go("opening")

    # -- take + close -------------------------------------------------------------------------
    def view_take(self) -> ViewModel:
        opened = self.session.visit.collect.opened
        body = [t("collect.take.body", compartments=opened)]
        if self.session.visit.collect.failed:
            body.append(t("collect.take.some_failed", compartments=self.session.visit.collect.failed))
        return ViewModel(self.name, self.state, t("collect.take.title"), body=tuple(body), screen="cabinet",
                         illustration="take_and_close", data={"compartments": opened})

    def tick_take(self) -> None:
        self._check_closed()

    def _check_closed(self) -> None:
        cabinet = self.ctx.services.cabinet
        if all(cabinet.door(comp) == "closed" for comp in self.session.visit.collect.opened):
            self.go("confirm")
            self._changed()

    def view_confirm(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("collect.confirm.title"), body=(t("collect.confirm.body"),),
                         actions=(Action("taken", t("collect.confirm.taken")),
                                  Action("not_taken", t("collect.confirm.not_taken"), "secondary")))

    def act_confirm(self, action_id: str, **_: Any) -> bool:
        if action_id not in ("taken", "not_taken"):
            return False
        self._record_collected(confirmed=action_id == "taken")
        p = self.session.visit.collect
        self.begin_rating("collect", p.collected or [i.case_no for i in p.items], then="receipt")
        return True

    def _record_collected(self, confirmed: bool) -> None:
        svc = self.ctx.services
        opened = set(self.session.visit.collect.opened)
        collected = []
        for item in self.session.visit.collect.items:
            if item.compartment not in opened:
                continue
            no = item.case_no
            if confirmed:
                svc.cases.set_status(no, "collected", "自助柜领取", "Collected from the cabinet")
                svc.cases.set_compartment(no, None)
                svc.cabinet.emptied(item.compartment)
                svc.codes.revoke_for_case(no)
                bo = svc.backoffice
                svc.run("report", lambda no=no: bo.report_status(no, "collected", "自助柜领取", "Collected"))
                collected.append(no)
            svc.audit.append("station", "collect.confirmed" if confirmed else "collect.not_taken", no,
                             compartment=item.compartment)
        self.session.visit.collect.collected = collected
        self.session.visit.collect.confirmed = confirmed

    # -- receipt ------------------------------------------------------------------------------
    def enter_receipt(self) -> None:
        printer = self.ctx.devices.printer
        items = [i for i in self.session.visit.collect.items if i.compartment in self.session.visit.collect.opened]
        if not items or printer is None or printer.class_status.get("paper") in ("out", "jammed") or \
                str(printer.status) in ("no_device", "hardware_error", "offline"):
            self.session.visit.receipt_on_screen = True
            self.go("done")
            return
        first = items[0]
        catalog = self.ctx.services.catalog
        names = []
        for i in items:
            m = catalog.find(i.matter_code) if catalog is not None else None
            names.append((m.name_zh if m else i.matter_code)[:40])
        identity = self.session.identity
        data = {"case_number": first.case_no, "compartment": first.compartment, "items": names,
                "picked_up_at": self.clock.now().isoformat(timespec="seconds")}
        if identity is not None:
            data["applicant_id_masked"] = identity.id_number_masked
        self.start("print", printer.print_document("pickup", data, self.ctx.lang))

    def view_receipt(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("collect.receipt.title"), body=(t("collect.receipt.printing"),),
                         busy=True)

    def done_print(self, c: Completion[Any]) -> None:
        if not c.ok:
            self.session.visit.receipt_on_screen = True
        self.go("done")

    def view_done(self) -> ViewModel:
        items = [i for i in self.session.visit.collect.items if i.compartment in self.session.visit.collect.opened]
        body = [t("collect.done.body", n=len(items))]
        if self.session.visit.receipt_on_screen:
            body.append(t("collect.done.no_receipt"))
        return ViewModel(self.name, self.state, t("collect.done.title"), body=tuple(body),
                         actions=(Action("finish", t("common.finish")),),
                         data={"cases": [i.case_no for i in items]})

    def act_done(self, action_id: str, **_: Any) -> bool:
        if action_id != "finish":
            return False
        self.end("completed", t("outcome.completed"))
        return True

    def cancellable(self) -> bool:
        return self.state not in ("opening", "take", "confirm", "rating", "receipt")

    def release(self) -> None:
        # a visit that times out with doors open still records what happened: the doors were
        # opened for an authorised person; staff see them as not confirmed in the audit log
        state = self.state
        opened = list(self.session.visit.collect.opened)
        if state in ("take", "confirm") and self.session.visit.collect.items:
            self._record_collected(confirmed=state == "confirm")
        if state in ("opening", "take"):
            self.flag_for_staff(opened + [c for c in [self.session.visit.collect.opening] if c and c not in opened],
                                "pickup door open when the visit ended; the citizen may not have taken everything")
        elif state == "confirm":
            self.flag_for_staff(opened, "pickup door closed but the citizen did not confirm taking the items")
        super().release()
