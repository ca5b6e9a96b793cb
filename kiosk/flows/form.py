"""The apply flow's form step (智能填表): the item's application form, pre-filled from the card and
the OCR'd materials, confirmed or corrected by touch, rendered as an A4 PDF for the submission.

`FormStep` is a mixin for the apply flow. States:

- `form`: every field with its value and where it came from; `edit` (key=...) opens a field that
  may be corrected (choice / keypad types; text comes from the card or a material only: no
  Chinese typing at the station; a field from the identity document — name, ID number, sex,
  birth date, address — is never changed here: the document is its source), `confirm` re-takes
  the document's values, checks the required fields — missing ones are named and the citizen
  stays — and renders the PDF;
- `form_edit`: one field: `set` (value=...) from the touch list or the keypad, checked by
  `kiosk.flows.form_values.check_value` (ID check digit, phone, date, range); `back`;
- `form_render`: the PDF is made off the UI thread (`kiosk.services.form_pdf`), then the flow goes
  on with the continuation given to `begin_form`.

The filled values and the PDF are personal: they live in the session only. The form
definitions come from `services.extra["forms"]` (a `FormBook`) or, failing that, from the
catalog's own directory (`kiosk.services.form_defs.forms_for_catalog`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.devices.base import Completion
from kiosk.flows.form_values import FilledForm, ValueProblem, check_value, prefill
from kiosk.flows.texts import both, t
from kiosk.flows.viewmodel import Action, ViewModel
from kiosk.services.form_defs import FormBook, FormDef, forms_for_catalog
from kiosk.services.form_pdf import FormPdfData, FormRow, render_form_pdf

KEYPAD_LEN = {"number": 9, "date": 8, "phone": 12, "id_number": 18}


def form_book(services: Any) -> FormBook:
    book = services.extra.get("forms")
    if book is None:
        book = forms_for_catalog(services.catalog)
        services.extra["forms"] = book
    return book


class FormStep:
    """Mixin for the apply flow (needs `go`, `end`, `start`, `session`, `ctx`, `clock`, `error`)."""

    # -- entering -------------------------------------------------------------------------------
    def remember_reading(self, reading: Any) -> None:
        """An accepted page's OCR reading (kind + fields), for pre-filling the form."""
        self.session.visit.form.readings.append(reading)

    def begin_form(self, matter: Any, then: Callable[[], None]) -> bool:
        """Enter the form step if the item has a form not yet filled in this visit; False otherwise."""
        if self.session.visit.form.form_pdf is not None:
            return False
        form = form_book(self.ctx.services).for_matter(matter.code)
        if form is None:
            return False
        self._form_then = then
        self.session.visit.form.form = prefill(form, self.session.identity, list(self.session.visit.form.readings))
        self.go("form")
        return True

    def _filled(self) -> FilledForm:
        filled = self.session.visit.form.form
        assert filled is not None, "the form step was not begun"
        return filled

    # -- the whole form -------------------------------------------------------------------------
    def view_form(self) -> ViewModel:
        filled = self._filled()
        form = filled.form
        rows = []
        for f in form.fields:
            v = filled.values.get(f.key)
            label_zh, label_en = filled.label(f)
            rows.append({"key": f.key, "label_zh": label_zh, "label_en": label_en, "type": f.type,
                         "required": f.required and f.key not in filled.not_on_document,
                         "value_zh": filled.shown(f, "zh"), "value_en": filled.shown(f, "en"),
                         "origin": v.origin if v else "", "editable": f.editable,
                         "not_on_document": f.key in filled.not_on_document})
        body = [t("form.check", title=both(form.title_zh, form.title_en))]
        if any(f.from_document for f in form.fields):
            body.append(t("form.document_note"))
        if any(f.type == "text" and not f.from_document for f in form.fields):
            body.append(t("form.text_note"))
        lacking = [both(*filled.label(f)) for f in form.fields if f.key in filled.not_on_document]
        if lacking:
            body.append(t("form.not_on_document", names=lacking))
        return ViewModel(self.name, self.state, t("form.title"), body=tuple(body),
                         actions=(Action("confirm", t("form.confirm")), Action("edit", t("form.edit"), "choice")),
                         screen="form", data={"title_zh": form.title_zh, "title_en": form.title_en, "fields": rows})

    def act_form(self, action_id: str, key: str = "", **_: Any) -> bool:
        filled = self._filled()
        if action_id == "edit":
            f = filled.form.field(str(key))
            if f is None or not f.editable:
                self.error = t("form.from_document" if f is not None and f.from_document else "form.not_editable")
                return True
            self.session.visit.form.form_field = f.key
            self.error = None
            self.go("form_edit")
            return True
        if action_id != "confirm":
            return False
        filled.take_document(self.session.identity)  # the PDF and the answers carry the document's values
        missing = filled.missing_required()
        if missing:
            self.error = t("form.missing", names=[both(f.label_zh, f.label_en) for f in missing])
            self.ctx.services.audit.append("station", "form.missing_required", filled.form.matter, n=len(missing))
            return True
        for v in filled.values.values():
            v.confirmed = True
        self.error = None
        data = self._pdf_data(filled)
        self.go("form_render")
        self.start("form_pdf", self.ctx.services.run("pack", lambda: render_form_pdf(data)))
        return True

    # -- one field ------------------------------------------------------------------------------
    def view_form_edit(self) -> ViewModel:
        filled = self._filled()
        f = filled.form.field(self.session.visit.form.form_field)
        assert f is not None
        data: dict[str, Any] = {"key": f.key, "label_zh": f.label_zh, "label_en": f.label_en, "type": f.type,
                                "value_zh": filled.shown(f, "zh"), "value_en": filled.shown(f, "en")}
        if f.type == "choice":
            data["choices"] = [{"value": c.value, "zh": c.zh, "en": c.en} for c in f.choices]
            hint = t("form.edit.choose", label=both(f.label_zh, f.label_en))
        else:
            data["digits"] = KEYPAD_LEN.get(f.type, 12)
            data["x_key"] = f.type == "id_number"  # the 18th character of an ID number may be X
            hint = t(f"form.edit.key_{f.type}", label=both(f.label_zh, f.label_en))
        return ViewModel(self.name, self.state, t("form.edit.title", label=both(f.label_zh, f.label_en)),
                         body=(hint,), actions=(Action("set", t("common.ok"), "choice"),
                                                Action("back", t("common.back"), "secondary")),
                         screen="form_field", data=data)

    def act_form_edit(self, action_id: str, value: Any = "", **_: Any) -> bool:
        filled = self._filled()
        if action_id == "back":
            self.error = None
            self.go("form")
            return True
        if action_id != "set":
            return False
        f = filled.form.field(self.session.visit.form.form_field)
        assert f is not None
        if not f.editable:  # never reached from the form screen; refused all the same
            self.error = t("form.from_document" if f.from_document else "form.not_editable")
            self.go("form")
            return True
        checked = check_value(f, value, self.clock.now().date(), applicant=self.session.identity)
        if isinstance(checked, ValueProblem):
            self.error = t("form.refused", reason=both(checked.zh, checked.en))
            return True
        filled.set(f.key, checked, "chosen" if f.type == "choice" else "keyed")
        self.ctx.services.audit.append("station", "form.corrected", filled.form.matter, field=f.key)
        self.error = None
        self.go("form")
        return True

    # -- the PDF ----------------------------------------------------------------------------------
    def _pdf_data(self, filled: FilledForm) -> FormPdfData:
        form: FormDef = filled.form
        matter = self.ctx.services.catalog.find(form.matter)
        rows = tuple(FormRow(*filled.label(f), filled.printed(f), filled.values[f.key].origin
                             if f.key in filled.values else "") for f in form.fields)
        return FormPdfData(form.title_zh, form.title_en, matter.name_zh if matter else form.matter, form.matter,
                           rows, self.clock.now().date().isoformat(), self.ctx.station_id)

    def view_form_render(self) -> ViewModel:
        return ViewModel(self.name, self.state, t("form.title"), body=(t("form.rendering"),), busy=True)

    def done_form_pdf(self, c: Completion[Any]) -> None:
        if not c.ok:
            self.ctx.services.audit.append("station", "form.pdf_failed", self._filled().form.matter,
                                           detail=str(c.detail)[:80])
            self.end("submit_failed", t("form.pdf_failed"))
            return
        self.session.visit.form.form_pdf = c.data
        self._form_then()

    # -- into the submission ----------------------------------------------------------------------
    def form_files(self) -> list[Any]:
        """The filled form as a submitted file (kind `form`), if this visit filled one."""
        from kiosk.services.backoffice import SubmittedFile

        pdf = self.session.visit.form.form_pdf
        if pdf is None:
            return []
        return [SubmittedFile(pdf.title, "form", pdf.media_type, pdf.content, None, pages=pdf.pages)]

    def form_answers(self) -> dict[str, str]:
        """The confirmed values, machine-readable beside the PDF (`form.<key>`)."""
        filled = self.session.visit.form.form
        if filled is None or self.session.visit.form.form_pdf is None:
            return {}
        return {f"form.{k}": v.value for k, v in filled.values.items() if v.value}
