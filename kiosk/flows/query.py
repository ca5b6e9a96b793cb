"""Query progress (进度查询): scan the receipt's QR code, or identify (card + face) → status timeline.

By receipt: the QR holds the case number and its query tag (`kiosk.flows.apply.receipt_qr`, a
MAC under the station key), so the timeline shown is the case's alone and names nobody; a QR
without a valid tag (a guessed or neighbouring case number, an envelope barcode) shows nothing. By identity: every case of this person, newest first.
The station's own record is brought up to date from the back office when it answers; when it
does not, the local timeline is shown with a note that it may be behind.
Cases made at other stations: by identity, the back office is asked for the person's cases
(`cases_for_applicant`) and those not kept here are adopted (`CaseStore.adopt`) with this person
as applicant; a receipt from another station (its query tag cannot be checked here) asks for
card + face and then shows that case if the back office lists it as this person's.
A deposited case whose pickup-code SMS failed shows a fresh pickup code after card + face (the
station keeps codes hashed only: showing one means issuing one, which replaces earlier codes).
Outcomes: completed, not_found, plus the identification outcomes, timeout, canceled, error.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.base import Completion, DeviceEvent, ResultCode
from kiosk.flows.apply import case_from_qr, case_from_receipt
from kiosk.flows.base import Flow
from kiosk.flows.cases_elsewhere import ask_for_cases, keep_listed_cases
from kiosk.flows.identify import IdentifyMixin
from kiosk.flows import matters as mx
from kiosk.flows.rating import RatingStep
from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.flows.visit_records import ShownCode

SCAN_TRIES = 3


def case_view(case: Any, catalog: Any) -> dict[str, Any]:
    matter = catalog.find(case.matter_code) if catalog is not None else None
    return {
        "case_no": case.case_no, "matter_code": case.matter_code,
        "matter_zh": matter.name_zh if matter else case.matter_code,
        "matter_en": matter.name_en if matter else case.matter_code,
        "status": case.status, "status_zh": case.status_zh, "status_en": case.status_en,
        "promised_date": case.promised_date, "compartment": case.compartment,
        "timeline": [{"at": e.at, "status": e.status, "note_zh": e.note_zh, "note_en": e.note_en}
                     for e in case.timeline],
    }


class QueryFlow(IdentifyMixin, RatingStep, Flow):
    name = "query"
    title_key = "query.title"
    initial = "method"
    STEPS = (
        ("query.step.method", ("method",)),
        ("query.step.find", ("scan_receipt", "identify_card", "identify_passport", "identify_passport_chip",
                             "identify_face", "refresh")),
        ("query.step.timeline", ("timeline", "rating")),
    )

    def __init__(self, ctx: Any) -> None:
        self._scan_tries = 0
        super().__init__(ctx)

    def view_method(self) -> ViewModel:
        actions = [Action("identify", t("query.method.identify"))]
        if self.ctx.devices.scanner is not None:
            actions.insert(0, Action("scan_receipt", t("query.method.scan_receipt")))
        return ViewModel(self.name, self.state, t("query.method.title"), body=(t("query.method.hint"),),
                         actions=tuple(actions), screen="choose")

    def act_method(self, action_id: str, **_: Any) -> bool:
        if action_id == "scan_receipt" and self.ctx.devices.scanner is not None:
            self.go("scan_receipt")
        elif action_id == "identify":
            self.begin_identify()
        else:
            return False
        return True

    # -- by receipt ---------------------------------------------------------------------------
    def enter_scan_receipt(self) -> None:
        # a receipt strip or a phone screen is no A4 page: wait for a readable code, not a page
        self.start("receipt", self.ctx.devices.scanner.scan_code(timeout=self.ctx.idle_timeout_s))

    def view_scan_receipt(self) -> ViewModel:
        actions = () if self.pending("receipt") else (Action("retry", t("common.retry")),)
        return ViewModel(self.name, self.state, t("query.scan.title"), body=(t("query.scan.place"),),
                         actions=actions, screen="scan", illustration="show_receipt_qr")

    def act_scan_receipt(self, action_id: str, **_: Any) -> bool:
        if action_id == "retry" and not self.pending("receipt"):
            self.error = None
            self.go("scan_receipt")
            return True
        return False

    def done_receipt(self, c: Completion[Any]) -> None:
        if c.code is ResultCode.CANCELED:
            return
        case_no = None
        if c.ok and c.data is not None:
            texts = [code.text for code in c.data.codes]
            found = [n for n in (case_from_receipt(x, self.ctx.services.hasher) for x in texts) if n]
            known = [n for n in found if self.ctx.services.cases.find(n) is not None]
            case_no = (known or found or [None])[0]
            if case_no is None and any(case_from_qr(x) for x in texts):
                elsewhere = [n for n in (case_from_qr(x) for x in texts)
                             if n and self.ctx.services.cases.find(n) is None]
                if elsewhere and not self.session.visit.query.wanted_case:
                    # not this station's receipt: only its applicant (card + face) may see it
                    self.session.visit.query.wanted_case = elsewhere[0]
                    self.ctx.services.audit.append("station", "query.case_from_elsewhere", "query")
                    self.error = t("query.elsewhere")
                    self.begin_identify()
                    return
                self.ctx.services.audit.append("station", "query.untagged_code", "query")
                self.end("not_found", t("query.not_found"))
                return
        if case_no is None:
            self._scan_tries += 1
            self.error = t("query.scan.no_code") if c.ok else t("query.scan.failed")
            if self._scan_tries >= SCAN_TRIES:
                self.end("not_found", t("query.not_found"))
            return
        if self.ctx.services.cases.find(case_no) is None:
            self.end("not_found", t("query.not_found"))
            return
        self.session.visit.query.case_nos = [case_no]
        self.go("refresh")

    # -- by identity --------------------------------------------------------------------------
    def identified(self) -> None:
        self.session.visit.query.case_nos = None
        ask_for_cases(self)
        self.go("refresh")  # waits for the lookup, then asks the status of each case

    def done_lookup(self, c: Completion[Any]) -> None:
        """The back office's list of this person's cases: keep those made elsewhere here."""
        cases, id_number = self.ctx.services.cases, self.session.identity.id_number
        if not keep_listed_cases(cases, c, id_number, adopt=True):
            self.session.visit.query.stale = True
        mine = [x.case_no for x in cases.for_applicant(id_number)]
        wanted = self.session.visit.query.wanted_case
        if wanted:
            mine = [n for n in mine if n == wanted]
        if not mine:
            self.end("not_found", t("query.not_found") if wanted else t("query.none_for_person"))
            return
        self.error = None
        self.session.visit.query.case_nos = mine[:20]
        self.enter_refresh()

    def on_event(self, event: DeviceEvent) -> bool:
        return self.on_face_event(event)

    # -- refresh from the back office, then show ----------------------------------------------
    def enter_refresh(self) -> None:
        if self.session.visit.query.case_nos is None:
            return  # the back office's list of this person's cases comes first (done_lookup)
        bo = self.ctx.services.backoffice
        case_nos = list(self.session.visit.query.case_nos)

        def fetch() -> list[Any]:
            reports = []
            for no in case_nos:
                try:
                    reports.append(bo.case_status(no))
                except Exception as exc:  # one unknown case must not hide the others
                    if getattr(exc, "code", "") in ("offline", "timeout"):
                        raise
            return reports

        self.start("status", self.ctx.services.run("status", fetch))

    def _show_codes_for_failed_sms(self) -> None:
        """Card + face proved the person: a deposited result whose SMS failed gets a code shown here."""
        svc = self.ctx.services
        identity = self.session.identity
        if identity is None or self.session.visit.query.shown_codes is not None:
            return
        shown: list[ShownCode] = []
        for no in self.session.visit.query.case_nos or []:
            case = svc.cases.find(no)
            if case is None or case.status != "deposited" or not case.compartment or not case.receipt.get("sms_failed"):
                continue
            matter = svc.catalog.find(case.matter_code)
            needs_id = bool(matter is not None and mx.pickup_needs_id(matter))
            try:
                issued = svc.codes.issue([no], applicant_hash=svc.cases.applicant_hash(no), id_card_required=needs_id)
            except Exception:
                continue
            svc.audit.append("station", "query.pickup_code_shown", no, code=issued.code_id)
            shown.append(ShownCode(no, issued.code, case.compartment, issued.expires_at[:10]))
        self.session.visit.query.shown_codes = shown

    def view_refresh(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("query.title"), body=(t("query.refreshing"),), busy=True)

    def done_status(self, c: Completion[Any]) -> None:
        cases = self.ctx.services.cases
        if c.ok:
            for report in c.data or []:
                try:
                    cases.merge_report(report)
                except Exception:
                    pass
        else:
            self.session.visit.query.stale = True
        self._show_codes_for_failed_sms()
        self.go("timeline")

    def view_timeline(self) -> ViewModel:
        cases = self.ctx.services.cases
        rows = [case_view(c, self.ctx.services.catalog)
                for c in (cases.find(n) for n in self.session.visit.query.case_nos or []) if c is not None]
        body = [t("query.timeline.count", n=len(rows))]
        if self.session.visit.query.stale:
            body.append(t("query.timeline.stale"))
        for shown in self.session.visit.query.shown_codes or []:
            body.append(t("query.pickup_code", case_no=shown.case_no, code=shown.code, compartment=shown.compartment,
                          expires=shown.expires))
        return ViewModel(self.name, self.state, t("query.timeline.title"), body=tuple(body),
                         actions=(Action("finish", t("common.finish")),), screen="timeline",
                         data={"cases": rows})

    def act_timeline(self, action_id: str, **_: Any) -> bool:
        if action_id != "finish":
            return False
        self.begin_rating("query", (self.session.visit.query.case_nos or [])[:1])  # ends completed
        return True

    def cancellable(self) -> bool:
        return not self.rating_open()
