"""Apply (申办): choose a matter → guide → identify → e-certificates with consent → scan the
remaining materials → one-time notice of anything missing (一次性告知) → pay → submit → receipt,
optionally dropping paper originals into a compartment.

Scanned materials are packed into one A4 PDF each (`kiosk.services.material_pdf`) on the
service runner when the case is submitted; from then on the session holds the PDFs only.
Guidance-only matters end after the guide (outcome `guided`): the station says where and how to
apply. A print item (instant certificate) prints its result with the receipt. When the printer
cannot print, the receipt is shown on screen as a QR code (outcome stays `completed`).
Outcomes: completed, guided, missing_material, payment_canceled, submit_failed, plus the
identification outcomes (see `kiosk.flows.identify`) and timeout / canceled / error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from kiosk.devices.base import Completion, DeviceEvent, ResultCode
from kiosk.devices.scanner import FEEDBACK_TEXT, PROBLEMS
from kiosk.devices.scanner.payloads import RECEIPT_QR_PREFIX, RECEIPT_URL_PREFIX, PayloadError, parse_any
from kiosk.flows.base import Flow
from kiosk.flows.form import FormStep
from kiosk.flows.scan_hints import ScanHint, UnknownScanHint, scan_hint
from kiosk.flows.identify import IdentifyMixin, applicant_of
from kiosk.flows.payment import PaymentStep
from kiosk.flows.rating import RatingStep
from kiosk.flows import matters as mx
from kiosk.flows.texts import both, t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.devices.docprinter import PrintFailure
from kiosk.devices.scanner.crosscheck import CardFacts, cross_check, wanted_kinds
from kiosk.services.certificate_pdf import verify_url
from kiosk.services.material_pdf import MaterialPdf, material_pdf

SCAN_FEEDBACK = tuple(ScanHint)  # every hint the scanner gives (kiosk.flows.scan_hints)
log = logging.getLogger(__name__)


class ApplyFlow(PaymentStep, IdentifyMixin, FormStep, RatingStep, Flow):
    name = "apply"
    title_key = "apply.title"
    initial = "choose"
    STEPS = (
        ("apply.step.choose", ("choose", "guide")),
        ("apply.step.identify", ("identify_card", "identify_passport", "identify_passport_chip", "identify_face")),
        ("apply.step.materials", ("ecert_consent", "ecert_fetch", "scan", "reading", "missing",
                                   "form", "form_edit", "form_render")),
        ("apply.step.pay", ("pay", "pay_charging", "pay_refused")),
        ("apply.step.submit", ("submit", "refund", "refund_done", "certificate", "certificate_failed", "receipt",
                               "receipt_on_screen", "dropoff_offer", "dropoff_open", "dropoff_close", "done", "rating")),
    )

    def __init__(self, ctx: Any, matter_code: str | None = None) -> None:
        self.matter: Any = None  # kiosk.services.catalog.Matter
        self.category: str | None = None
        self.results: list[Any] = []
        self.query = ""
        self.scan_index = 0
        self.scan_feedback: ScanHint | None = None
        self.last_problems: list[str] = []
        self.compartment: str | None = None
        # what the visit produced (kind, pages, where): no content, nothing personal; kept after the end
        self.documents: list[ProducedDocument] = []
        super().__init__(ctx)
        if matter_code:
            self.act("select", code=matter_code)

    # -- choose -------------------------------------------------------------------------------
    def view_choose(self) -> ViewModel:
        catalog = self.ctx.services.catalog
        cats = catalog.categories
        items = self.results
        return ViewModel(self.name, self.state, t("apply.choose.title"), body=(t("apply.choose.hint"),),
                         screen="choose",
                         actions=(Action("search", t("apply.choose.search"), "keypad"),),
                         data={"categories": [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                                               "icon": c.icon} for c in cats],
                               "category": self.category, "query": self.query,
                               "items": [{"code": m.code, "name_zh": m.name_zh, "name_en": m.name_en,
                                          "self_service": mx.self_service(m)} for m in items[:60]]})

    def act_choose(self, action_id: str, code: str = "", query: str = "", **_: Any) -> bool:
        catalog = self.ctx.services.catalog
        if action_id == "category":
            self.category, self.query = code, ""
            try:
                self.results = catalog.in_category(code)
            except Exception:
                self.results = []
            self.error = None if self.results else t("apply.choose.empty")
            return True
        if action_id == "search":
            self.query, self.category = query[:40], None
            self.results = [h.matter for h in catalog.search(self.query, limit=40)]
            self.error = None if self.results else t("apply.choose.no_results")
            return True
        if action_id == "select":
            matter = catalog.find(code) if isinstance(code, str) else None
            if matter is None:
                self.error = t("apply.choose.unknown")
                return True
            self.matter = matter
            self.error = None
            self.go("guide")
            return True
        return False

    # -- guide --------------------------------------------------------------------------------
    def view_guide(self) -> ViewModel:
        m = self.matter
        assert m is not None
        actions = (Action("start", t("apply.guide.start")),) if mx.self_service(m) else (
            Action("finish", t("common.finish")),)
        body = (t("apply.guide.self_service"),) if mx.self_service(m) else (
            t("apply.guide.where", place=both(m.place_zh, m.place_en), hours=both(m.hours_zh, m.hours_en),
              phone=m.enquiry_phone),)
        return ViewModel(self.name, self.state, t("apply.guide.title", name=both(m.name_zh, m.name_en)), body=body,
                         actions=actions + (Action("back", t("common.back"), "secondary"),),
                         screen="guide", data={"guide": mx.guide(m)})

    def act_guide(self, action_id: str, **_: Any) -> bool:
        m = self.matter
        if action_id == "back":
            self.matter = None
            self.go("choose")
        elif action_id == "finish":
            self.end("guided", t("outcome.guided"))
        elif action_id == "start" and m is not None and mx.self_service(m):
            self.begin_identify()
        else:
            return False
        return True

    # -- after identification -----------------------------------------------------------------
    def identified(self) -> None:
        assert self.matter is not None
        self.session.visit.apply.attached = {}  # material index -> "ecert" | "scan"
        if self.matter.station.consent_ecerts and self._ecert_materials():
            self.go("ecert_consent")
        else:
            self._start_scanning()

    def on_event(self, event: DeviceEvent) -> bool:
        if self.on_face_event(event):
            return True
        if self.state == "scan" and event.kind == "feedback":
            try:
                self.scan_feedback = scan_hint(event.data.get("key"))
            except UnknownScanHint as exc:  # a scanner newer than the flows: loud, but the visit goes on
                log.error("%s", exc)
                return False
            return True
        if self.state == "dropoff_close" and event.kind == "door_closed":
            comp = self.ctx.services.cabinet.by_lock(int(event.data.get("board", -1)), int(event.data.get("lock", -1)))
            if comp is not None and comp.id == self.compartment:
                self._dropoff_closed()
                return True
        return False

    # -- e-certificates -----------------------------------------------------------------------
    def _ecert_materials(self) -> list[tuple[int, Any]]:
        assert self.matter is not None
        return [(i, m) for i, m in mx.materials(self.matter) if m.ecert_type]

    def view_ecert_consent(self) -> ViewModel:
        names = [both(m.name_zh, m.name_en) for _, m in self._ecert_materials()]
        return ViewModel(self.name, self.state, t("apply.ecert.title"),
                         body=(t("apply.ecert.ask", names=names),),
                         actions=(Action("consent", t("apply.ecert.consent")),
                                  Action("decline", t("apply.ecert.decline"), "secondary")),
                         screen="consent", data={"ecerts": [{"name_zh": m.name_zh, "name_en": m.name_en}
                                                            for _, m in self._ecert_materials()]})

    def act_ecert_consent(self, action_id: str, **_: Any) -> bool:
        if action_id == "decline":
            self._start_scanning()
            return True
        if action_id != "consent":
            return False
        types = tuple(dict.fromkeys(m.ecert_type for _, m in self._ecert_materials()))
        bo = self.ctx.services.backoffice
        applicant = applicant_of(self.session.identity)
        visit = self.session.id  # the back office binds the call to the card read in this visit

        def fetch() -> Any:
            consent = bo.request_consent(applicant, types, session=visit)
            return bo.fetch_ecertificates(applicant, consent, session=visit)

        self.go("ecert_fetch")
        self.start("ecerts", self.ctx.services.run("ecerts", fetch))
        return True

    def view_ecert_fetch(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.ecert.title"), body=(t("apply.ecert.fetching"),),
                         busy=True)

    def done_ecerts(self, c: Completion[Any]) -> None:
        attached = self.session.visit.apply.attached
        got = 0
        if c.ok and c.data:
            held = {e.type: e for e in c.data}
            self.session.visit.apply.ecerts = held
            for i, m in self._ecert_materials():
                if m.ecert_type in held:
                    attached[i] = "ecert"
                    got += 1
            self.error = None
        elif not c.ok:
            self.error = t("apply.ecert.unavailable")
        self.session.visit.apply.ecert_count = got
        self._start_scanning()

    # -- scanning -----------------------------------------------------------------------------
    def _to_scan(self) -> list[tuple[int, Any]]:
        """Materials still to scan: not attached, not skipped, not electronic-only."""
        assert self.matter is not None
        attached = self.session.visit.apply.attached
        skipped = self.session.visit.apply.skipped
        return [(i, m) for i, m in mx.materials(self.matter)
                if i not in attached and i not in skipped and m.form != "electronic"]

    def _start_scanning(self) -> None:
        if self._to_scan() and self.ctx.devices.scanner is not None:
            self.go("scan")
        else:
            self.go("missing")

    def _current_material(self) -> tuple[int, Any] | None:
        todo = self._to_scan()
        return todo[0] if todo else None

    def enter_scan(self) -> None:
        self.scan_feedback = None
        if self.session.visit.apply.hold_capture:
            self.session.visit.apply.hold_capture = False
            return  # a refused page may still lie there: the person retakes when ready
        self.start("page", self.ctx.devices.scanner.capture(timeout=self.ctx.idle_timeout_s))

    def view_scan(self) -> ViewModel:
        cur = self._current_material()
        assert cur is not None
        index, m = cur
        pages = len(self.session.pages.get(str(index), []))
        body = [t("apply.scan.place", name=both(m.name_zh, m.name_en), page=pages + 1, pages=m.pages)]
        if self.scan_feedback and self.scan_feedback is not ScanHint.NO_PAGE:  # "place it" is the line above
            body.append(t(self.scan_feedback.message_key))
        actions = [Action("skip", t("apply.scan.skip"), "secondary")]
        if not self.pending("page"):
            actions.insert(0, Action("retake", t("apply.scan.retake")))
        return ViewModel(self.name, self.state, t("apply.scan.title"), body=tuple(body), actions=tuple(actions),
                         screen="scan", illustration="place_page",
                         data={"material": m.name_zh, "material_en": m.name_en, "page": pages + 1,
                               "pages": m.pages, "feedback": self.scan_feedback, "problems": self.last_problems,
                               "remaining": [x.name_zh for _, x in self._to_scan()]})

    def act_scan(self, action_id: str, **_: Any) -> bool:
        cur = self._current_material()
        if cur is None:
            return False
        index, _m = cur
        if action_id == "skip":
            self.cancel_command("page")
            self.session.pages.pop(str(index), None)
            self.session.visit.apply.skipped.add(index)
            self._next_material()
            return True
        if action_id == "retake" and not self.pending("page"):
            self.error = None
            self.go("scan")
            return True
        return False

    def done_page(self, c: Completion[Any]) -> None:
        cur = self._current_material()
        if cur is None or c.code is ResultCode.CANCELED:
            return
        index, m = cur
        if c.ok and c.data is not None and c.data.ok:
            # a good picture: now read what it is (OCR, kind, fields) before it is accepted
            self.session.visit.apply.reading_page = c.data.page  # personal: in the session only
            self.last_problems = []
            self.error = None
            self.go("reading")
            return
        if c.ok and c.data is not None:
            self.last_problems = list(c.data.problems)
            self.error = t("apply.scan.quality", problems=[t(f"scan.problem.{p}") for p in c.data.problems
                                                           if p in SCAN_PROBLEMS])
        elif c.code in (ResultCode.DEVICE_NOT_READY, ResultCode.HARDWARE_ERROR):
            self.error = t("apply.scan.unavailable")
            self.session.visit.apply.skipped.add(index)
            self._next_material()
            return
        else:
            self.error = t("apply.scan.no_page")
        # stay on this material; the person retakes or skips

    def enter_reading(self) -> None:
        self.start("read", self.ctx.devices.scanner.read_document(self.session.visit.apply.reading_page))

    def view_reading(self) -> ViewModel:
        cur = self._current_material()
        assert cur is not None
        _, m = cur
        return ViewModel(self.name, self.state, t("apply.scan.title"),
                         body=(t("apply.scan.reading"),), busy=True, screen="message",
                         data={"material": m.name_zh, "material_en": m.name_en})

    def done_read(self, c: Completion[Any]) -> None:
        """材料智审: refuse a page of the wrong kind or with another person's data (naming the
        rule and what is wanted); accept the rest, keeping flags for the back office's staff.
        A page that could not be read at all is accepted and flagged: OCR must not block."""
        page = self.session.visit.apply.reading_page
        self.session.visit.apply.reading_page = None
        cur = self._current_material()
        if cur is None or page is None or c.code is ResultCode.CANCELED:
            return
        index, m = cur
        flags: list[str] = []
        if c.ok and c.data is not None:
            identity = self.session.identity
            card = CardFacts(identity.id_number, identity.name) if identity is not None else None
            findings = cross_check(c.data, card, self.clock.now().date(), wanted_kinds(m.name_zh))
            refused = [f for f in findings if f.verdict == "refuse"]
            if refused:
                self.last_problems = [f.rule for f in refused]
                self.error = t("apply.scan.refused", reason=both(refused[0].zh, refused[0].en))
                self.ctx.services.audit.append("station", "apply.material_refused", self.matter.code,
                                               material=index, rule=refused[0].rule, kind=c.data.kind)
                self.session.visit.apply.refused[index] = (refused[0].zh, refused[0].en)
                self.session.visit.apply.hold_capture = True
                self.go("scan")  # this material again; the person places the right page and retakes, or skips
                return
            flags = [f.rule for f in findings]
            self.remember_reading(c.data)  # its fields pre-fill the application form
        else:
            flags = ["not_read"]
        if flags:
            self.session.visit.apply.flags.setdefault(index, set()).update(flags)
        pages = self.session.pages.setdefault(str(index), [])
        pages.append(page)
        self.error = None
        if len(pages) >= m.pages:
            self.session.visit.apply.attached[index] = "scan"
            self._next_material()
        else:
            self.go("scan")

    def _next_material(self) -> None:
        if self._current_material() is not None and self.ctx.devices.scanner is not None:
            self.go("scan")
        else:
            self.go("missing")

    # -- one-time notice ----------------------------------------------------------------------
    def _missing_indexed(self) -> list[tuple[int, Any]]:
        assert self.matter is not None
        if mx.action(self.matter) == "drop_off" and self.ctx.devices.cabinet is not None:
            return []  # what is not scanned goes into the compartment as paper
        attached = self.session.visit.apply.attached
        return [(i, m) for i, m in mx.materials(self.matter) if m.required and i not in attached
                and m.form != "electronic"]

    def _missing(self) -> list[Any]:
        return [m for _, m in self._missing_indexed()]

    def enter_missing(self) -> None:
        missing = self._missing_indexed()
        if not missing:
            self._after_materials()
            return
        printer = self.ctx.devices.printer
        if printer is None or str(printer.status) in ("no_device", "hardware_error", "offline") or \
                printer.class_status.get("paper") in ("out", "jammed"):
            return  # shown on screen only
        self.start("notice", printer.print_document("missing_notice", self._notice_data(missing), self.ctx.lang))

    def _notice_data(self, missing: list[tuple[int, Any]]) -> dict[str, Any]:
        """一次性告知单: every missing item, why (the refusal's rule, or not provided), where to get it."""
        assert self.matter is not None
        zh = self.ctx.lang == "zh"
        refused = self.session.visit.apply.refused
        m = self.matter
        items = []
        for index, mat in missing:
            why = refused.get(index)
            reason = (why[0] if zh else why[1]) if why else ("未提供" if zh else "not provided")
            where = (mat.note_zh if zh else mat.note_en) or None
            items.append({"name": (mat.name_zh if zh else mat.name_en)[:60], "reason": reason[:80],
                          **({"where": where[:80]} if where else {})})
        return {"service_item": (m.name_zh if zh else m.name_en)[:60], "items": items[:20],
                "place": ((m.place_zh if zh else m.place_en) or "")[:60] or None,
                "enquiry_phone": m.enquiry_phone or None,
                "issued_at": self.clock.now().replace(tzinfo=None).isoformat(timespec="seconds")}

    def done_notice(self, c: Completion[Any]) -> None:
        self.session.visit.apply.notice_printed = c.ok

    def view_missing(self) -> ViewModel:
        assert self.matter is not None
        missing = self._missing()
        m = self.matter
        body = [t("apply.missing.list", names=[both(x.name_zh, x.name_en) for x in missing]),
                t("apply.missing.explain", place=both(m.place_zh, m.place_en), phone=m.enquiry_phone)]
        refused = self.session.visit.apply.refused
        for index, x in self._missing_indexed():
            if index in refused:
                body.append(t("apply.missing.refused", name=both(x.name_zh, x.name_en),
                              reason=both(*refused[index])))
        if self.session.visit.apply.notice_printed:
            body.append(t("apply.missing.printed"))
        return ViewModel(self.name, self.state, t("apply.missing.title"),
                         body=tuple(body),
                         actions=(Action("finish", t("apply.missing.understood")),
                                  Action("rescan", t("apply.missing.rescan"), "secondary")),
                         screen="notice",
                         data={"missing": [{"name_zh": x.name_zh, "name_en": x.name_en, "form": x.form,
                                            "pages": x.pages, "note_zh": x.note_zh} for x in missing],
                               "matter": m.code, "place_zh": m.place_zh, "enquiry_phone": m.enquiry_phone})

    def act_missing(self, action_id: str, **_: Any) -> bool:
        assert self.matter is not None
        if action_id == "rescan" and self.ctx.devices.scanner is not None:
            self.session.visit.apply.skipped = set()
            self._start_scanning()
            return True
        if action_id == "finish":
            self.ctx.services.audit.append("station", "apply.missing_notice", self.matter.code,
                                           missing=len(self._missing()))
            self.end("missing_material", t("outcome.missing_material"))
            return True
        return False

    def _after_materials(self) -> None:
        assert self.matter is not None
        if self.begin_form(self.matter, then=self._after_materials):  # kiosk.flows.form
            return
        self._open_case()
        if mx.fee_fen(self.matter) > 0:
            self.go("pay")
        else:
            self.go("submit")

    def _open_case(self) -> None:
        if self.session.visit.case_no is not None:
            return
        m = self.matter
        identity = self.session.identity
        case = self.ctx.services.cases.open(m.code, identity.id_number,
                                            promised_days=m.promised_days if m.type == "promised" else None,
                                            note_zh="自助终端提交", note_en="submitted at the station")
        self.session.visit.case_no = case.case_no
        self.session.visit.apply.promised_date = case.promised_date

    # -- payment: kiosk.flows.payment.PaymentStep (pay, pay_charging, refund, refund_done) ----

    def release(self) -> None:
        # a visit that ends while a payment order is open cancels the order and withdraws the case
        self.release_payment()
        if self.compartment and self.state in ("dropoff_offer", "dropoff_open"):
            self.ctx.services.cabinet.release_reservation(self.compartment)
        if self.compartment and self.state == "dropoff_close":
            self.flag_for_staff([self.compartment], "drop-off door open when the visit ended; materials may be inside")
        super().release()

    def _withdraw(self, note: str) -> None:
        case_no = self.session.visit.case_no
        if case_no:
            try:
                self.ctx.services.cases.set_status(case_no, "withdrawn", note_en=note)
            except Exception:
                pass  # already moved on (e.g. submitted meanwhile): nothing to withdraw

    # -- submit -------------------------------------------------------------------------------
    def enter_submit(self) -> None:
        """Pack every scanned material into its PDF (off the UI thread), then submit."""
        assert self.matter is not None
        todo = {index: (mat.name_zh, list(self.session.pages.get(str(index), [])))
                for index, mat in mx.materials(self.matter)
                if self.session.visit.apply.attached.get(index) == "scan"}

        def pack() -> dict[int, MaterialPdf]:
            return {index: material_pdf(pages, title) for index, (title, pages) in todo.items()}

        self.start("pack", self.ctx.services.run("pack", pack))

    def done_pack(self, c: Completion[Any]) -> None:
        if not c.ok:
            case_no = self.session.visit.case_no
            self._withdraw(f"materials not packed: {c.detail}"[:80])
            self.ctx.services.audit.append("station", "apply.submit_failed", case_no, detail=str(c.detail)[:80])
            self.submit_failed(str(c.detail))
            return
        # from here on the station holds each material as its PDF only, never the raw pixels
        self.session.visit.apply.material_pdfs = c.data
        for index in c.data:
            self.session.pages.pop(str(index), None)
        self._submit()

    def _submit(self) -> None:
        from kiosk.services.backoffice import CaseSubmission, SubmittedFile

        assert self.matter is not None
        m = self.matter
        applicant = applicant_of(self.session.identity)
        files: list[Any] = []
        ecerts = self.session.visit.apply.ecerts
        pdfs = self.session.visit.apply.material_pdfs
        attached = self.session.visit.apply.attached
        for index, mat in mx.materials(m):
            how = attached.get(index)
            if how == "ecert":
                e = ecerts[mat.ecert_type]
                files.append(SubmittedFile(mat.name_zh, "ecert", e.media_type, e.content, index))
            elif how == "scan":
                pdf = pdfs[index]
                files.append(SubmittedFile(mat.name_zh, "scan", pdf.media_type, pdf.content, index,
                                           pages=pdf.pages))
        files.extend(self.form_files())
        order = self.session.visit.payment.order
        flags = self.session.visit.apply.flags
        form = {f"check.material_{i}": ",".join(sorted(rules)) for i, rules in sorted(flags.items())}
        form.update(self.form_answers())
        submission = CaseSubmission(
            case_no=self.session.visit.case_no, matter_code=m.code, station_id=self.ctx.station_id,
            applicant=applicant, files=tuple(files), form=form, payment_order_id=order.order_id if order else None,
            submitted_at=self.clock.now().isoformat(timespec="seconds"))
        bo = self.ctx.services.backoffice
        self.start("submit", self.ctx.services.run("submit", lambda: bo.submit_case(submission)))

    def view_submit(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.submit.title"), body=(t("apply.submit.sending"),),
                         busy=True, screen="message")

    def done_submit(self, c: Completion[Any]) -> None:
        case_no = self.session.visit.case_no
        if not c.ok or not c.data.accepted:
            note = c.detail if not c.ok else (c.data.message_en or "rejected")
            self._withdraw(f"submission failed: {note}"[:80])
            self.ctx.services.audit.append("station", "apply.submit_failed", case_no, detail=note[:80])
            self.submit_failed(note)
            return
        receipt = c.data
        cases = self.ctx.services.cases
        cases.set_backoffice_ref(case_no, receipt.backoffice_ref)
        if receipt.status != "submitted":
            try:
                cases.set_status(case_no, receipt.status, receipt.message_zh, receipt.message_en, actor="backoffice")
            except Exception:
                pass
        self.ctx.services.audit.append("station", "apply.submitted", case_no, matter=self.matter.code)
        self.session.visit.apply.document = receipt.document
        if receipt.document is not None and mx.action(self.matter) == "print":
            self.go("certificate")
        else:
            self.go("receipt")

    # -- certificate (print items) -------------------------------------------------------------
    def enter_certificate(self) -> None:
        printer = self.ctx.devices.docprinter
        doc = self.session.visit.apply.document
        if printer is None:
            self._certificate_failed("unavailable", "no document printer configured")
            return
        # no check of the last known status here: the printer reads its state before each job
        # and refuses with the reason, and a stale "paper out" must not block the next citizen
        # an ASCII job title: CUPS logs and cups-pdf file names mangle Chinese; the case number says enough
        self.start("certificate", printer.print_pdf(doc.content, f"certificate-{doc.case_no}"))

    def view_certificate(self) -> ViewModel:
        doc = self.session.visit.apply.document
        return ViewModel(self.name, self.state, t("apply.certificate.title"),
                         body=(t("apply.certificate.printing", name=both(doc.title_zh, doc.title_en)),),
                         busy=True, screen="message", illustration="take_receipt")

    def done_certificate(self, c: Completion[Any]) -> None:
        case_no = self.session.visit.case_no
        if c.ok:
            job = c.data
            self.documents.append(ProducedDocument("certificate", job.pages, job.job_id, job.output))
            self.session.visit.apply.certificate_pages = job.pages
            self.ctx.services.audit.append("station", "apply.certificate_printed", case_no, pages=job.pages,
                                           job=job.job_id)
            self.go("receipt")
            return
        failure = c.data if isinstance(c.data, PrintFailure) else None
        self._certificate_failed(failure.reason if failure else "unavailable", c.detail)

    def _certificate_failed(self, reason: str, detail: str) -> None:
        case_no = self.session.visit.case_no
        self.session.visit.apply.certificate_failure = reason if reason in CERT_FAILURES else "unavailable"
        self.ctx.services.audit.append("station", "apply.certificate_failed", case_no, reason=reason,
                                       detail=str(detail)[:80])
        self.go("certificate_failed")

    def view_certificate_failed(self) -> ViewModel:
        doc = self.session.visit.apply.document
        reason = self.session.visit.apply.certificate_failure
        reason = reason if reason is not None else "unavailable"
        body = [t(f"apply.certificate.failed.{reason}"), t("apply.certificate.electronic_copy")]
        if mx.fee_fen(self.matter) == 0:
            body.append(t("apply.certificate.no_charge"))
        return ViewModel(self.name, self.state, t("apply.certificate.failed_title"), body=tuple(body),
                         actions=(Action("continue", t("common.ok")),), screen="receipt_qr",
                         data={"qr": verify_url(doc.verify_code), "case_no": doc.case_no, "reason": reason})

    def act_certificate_failed(self, action_id: str, **_: Any) -> bool:
        if action_id != "continue":
            return False
        self.go("receipt")
        return True

    # -- receipt ------------------------------------------------------------------------------
    def _scanned_pages(self, index: int) -> int:
        pdf = self.session.visit.apply.material_pdfs.get(index)
        return pdf.pages if pdf is not None else len(self.session.pages.get(str(index), []))

    def _receipt_data(self) -> dict[str, Any]:
        assert self.matter is not None
        identity = self.session.identity
        v = self.session.visit
        attached = v.apply.attached
        now = self.clock.now()
        fee = mx.fee_fen(self.matter)
        mats = []
        for index, mat in mx.materials(self.matter):
            how = attached.get(index)
            if how:
                mats.append({"name": mat.name_zh[:40], "form": "e-cert" if how == "ecert" else "scan",
                             "pages": self._scanned_pages(index) if how == "scan" else 0})
        return {"case_number": v.case_no, "service_item": self.matter.name_zh,
                "applicant_id_masked": identity.id_number_masked if identity else "****",
                "materials": mats, "promised_date": v.apply.promised_date or now.date().isoformat(),
                "fee_yuan": mx.yuan(fee) if fee else None, "fee_paid": bool(v.payment.order),
                "query_url": receipt_qr(v.case_no, self.ctx.services.hasher), "issued_at": now.isoformat(timespec="seconds")}

    def enter_receipt(self) -> None:
        printer = self.ctx.devices.printer
        if printer is None or str(printer.status) in ("no_device", "hardware_error", "offline") or \
                printer.class_status.get("paper") in ("out", "jammed"):
            self.go("receipt_on_screen")
            return
        self.start("print", printer.print_document("application", self._receipt_data(), self.ctx.lang))

    def view_receipt(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.receipt.title"), body=(t("apply.receipt.printing"),),
                         busy=True, screen="message", illustration="take_receipt")

    def done_print(self, c: Completion[Any]) -> None:
        if c.ok:
            self._after_receipt()
        else:
            self.go("receipt_on_screen")

    def view_receipt_on_screen(self) -> ViewModel:
        d = self._receipt_data()
        return ViewModel(self.name, self.state, t("apply.receipt.title"),
                         body=(t("apply.receipt.on_screen", case_no=d["case_number"]),),
                         actions=(Action("continue", t("common.ok")),), screen="receipt_qr",
                         data={"qr": d["query_url"], "case_no": d["case_number"],
                               "promised_date": d["promised_date"]})

    def act_receipt_on_screen(self, action_id: str, **_: Any) -> bool:
        if action_id != "continue":
            return False
        self.session.visit.receipt_on_screen = True
        self._after_receipt()
        return True

    def _after_receipt(self) -> None:
        assert self.matter is not None
        if mx.offers_dropoff(self.matter) and self.ctx.devices.cabinet is not None:
            self.go("dropoff_offer")
        else:
            self.go("done")

    # -- drop-off -----------------------------------------------------------------------------
    def view_dropoff_offer(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.dropoff.title"), body=(t("apply.dropoff.offer"),),
                         actions=(Action("dropoff", t("apply.dropoff.yes")),
                                  Action("skip", t("apply.dropoff.no"), "secondary")), screen="message")

    def act_dropoff_offer(self, action_id: str, **_: Any) -> bool:
        if action_id == "skip":
            self.go("done")
            return True
        if action_id != "dropoff":
            return False
        case_no = self.session.visit.case_no
        cabinet = self.ctx.services.cabinet
        comp = cabinet.reserve("M", case_no, "dropoff") or cabinet.reserve("L", case_no, "dropoff")
        if comp is None:
            self.error = t("apply.dropoff.full")
            self.go("done")
            return True
        self.compartment = comp.id
        self.go("dropoff_open")
        return True

    def enter_dropoff_open(self) -> None:
        assert self.compartment is not None
        self.start("open", self.ctx.services.cabinet.open(self.compartment, "dropoff", "citizen"))

    def view_dropoff_open(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.dropoff.title"),
                         body=(t("apply.dropoff.opening", compartment=self.compartment),), busy=True,
                         screen="cabinet", data={"compartment": self.compartment})

    def done_open(self, c: Completion[Any]) -> None:
        assert self.compartment is not None
        if c.ok:
            self.go("dropoff_close")
            return
        self.ctx.services.cabinet.release_reservation(self.compartment)
        self.error = t("apply.dropoff.door_failed", compartment=self.compartment)
        self.compartment = None
        self.go("done")

    def view_dropoff_close(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("apply.dropoff.title"),
                         body=(t("apply.dropoff.put_in", compartment=self.compartment),),
                         screen="cabinet", illustration="close_door", data={"compartment": self.compartment})

    def tick_dropoff_close(self) -> None:
        if self.compartment and self.ctx.services.cabinet.door(self.compartment) == "closed":
            self._dropoff_closed()
            self._changed()

    def _dropoff_closed(self) -> None:
        assert self.compartment is not None
        case_no = self.session.visit.case_no
        self.ctx.services.cabinet.loaded(self.compartment, case_no)
        self.ctx.services.cases.set_dropoff_compartment(case_no, self.compartment)
        self.ctx.services.audit.append("station", "apply.dropoff", case_no, compartment=self.compartment)
        self.session.visit.apply.dropoff = self.compartment
        self.compartment = None
        self.go("done")

    # -- done ---------------------------------------------------------------------------------
    def view_done(self) -> ViewModel:
        d = self._receipt_data()
        body = [t("apply.done.submitted", case_no=d["case_number"])]
        if self.session.visit.apply.promised_date:
            body.append(t("apply.done.promised", date=d["promised_date"]))
        if self.session.visit.apply.dropoff:
            body.append(t("apply.done.dropoff", compartment=self.session.visit.apply.dropoff))
        return ViewModel(self.name, self.state, t("apply.done.title"), body=tuple(body),
                         actions=(Action("finish", t("common.finish")),), screen="message",
                         data={"case_no": d["case_number"], "qr": d["query_url"],
                               "receipt_on_screen": bool(self.session.visit.receipt_on_screen)})

    def act_done(self, action_id: str, **_: Any) -> bool:
        if action_id != "finish":
            return False
        service = "print" if mx.action(self.matter) == "print" else "apply"
        self.begin_rating(service, [self.session.visit.case_no])  # kiosk.flows.rating; ends completed
        return True

    def cancellable(self) -> bool:
        # once the case is submitted there is nothing left to cancel: the receipt and drop-off
        # screens offer their own way forward; the payment screens have their own "Cancel payment"
        # (a second, generic "Cancel" beside it would ask the citizen to choose between equals)
        return self.state not in ("ecert_fetch", "pay", "pay_refused", "pay_charging", "submit", "refund",
                                  "refund_done", "certificate", "certificate_failed", "receipt", "receipt_on_screen",
                                  "dropoff_offer", "dropoff_open", "dropoff_close", "done", "form_render", "rating")


SCAN_PROBLEMS = PROBLEMS
CERT_FAILURES = ("paper_out", "jammed", "toner_out", "dropped", "unavailable")


@dataclass(frozen=True)
class ProducedDocument:
    """A document the visit produced: its kind, pages counted by the printer, the job and where a
    sink wrote it (None for a real printer). Nothing personal."""

    kind: str
    pages: int
    job_id: str
    output: str | None = None


RECEIPT_URL = RECEIPT_URL_PREFIX


def receipt_qr(case_no: str, hasher: Any = None) -> str:
    """What the receipt's QR code says: a progress-query URL with the case number and its query tag
    (a MAC under the station key: `kiosk.services.query_codes`), nothing personal. Without a hasher
    the tag is missing and the query flow will not show the case (security finding 16)."""
    if hasher is None:
        return RECEIPT_URL + case_no
    from kiosk.services.query_codes import query_tag

    return f"{RECEIPT_URL}{case_no}.{query_tag(hasher, case_no)}"


def case_from_receipt(text: str, hasher: Any) -> str | None:
    """The case number of a scanned receipt QR whose query tag verifies; None for anything else
    (an envelope barcode or a bare case number reveals nothing to the query flow)."""
    from kiosk.devices.scanner.payloads import ReceiptQr, parse_receipt_qr
    from kiosk.services.query_codes import tag_ok

    if not isinstance(text, str) or len(text) > 200:
        return None
    try:
        qr = parse_receipt_qr(text.strip())
    except PayloadError:
        return None
    if not isinstance(qr, ReceiptQr) or hasher is None or not tag_ok(hasher, str(qr.case), qr.tag):
        return None
    return str(qr.case)


def case_from_qr(text: str) -> str | None:
    """The case number in a scanned receipt QR or envelope barcode (untrusted text, checked by
    `kiosk.devices.scanner.payloads`); None for anything else. Lower case is accepted (keypad)."""
    if not isinstance(text, str) or len(text) > 200:
        return None
    candidate = text.strip()
    if not candidate.startswith((RECEIPT_URL_PREFIX, RECEIPT_QR_PREFIX)):
        candidate = candidate.upper()
    try:
        return str(parse_any(candidate).case)
    except PayloadError:
        return None
