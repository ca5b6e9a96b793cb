"""What a visit knows about the person, as typed fields: `Session.visit` holds one `VisitData`.

One field per datum a flow keeps between steps, grouped by the step that owns it (`visit.payment.order`,
`visit.collect.opened`); the few that several flows share (`case_no`, `receipt_on_screen`) sit at
the top. Every class has `slots=True`, so assigning a misspelt or unknown name raises
AttributeError instead of quietly keeping a new key that nothing reads and nothing wipes. The items
a list holds (a pickup item, a deposit...) are small frozen records of kiosk.flows.visit_records.

A field's default means "nothing known": None, False, 0 or an empty collection. `is_blank()` is
true when every field is back at its default; `clear_in_place()` empties the collections (a copy of
the reference may be held by a view or a finished command) before the session drops the whole
instance. Both walk the fields, so a field added later is covered without further code.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from kiosk.devices.idreader import MrzKey
    from kiosk.devices.scanner.doc_kinds import DocumentReading
    from kiosk.flows.form_values import FilledForm
    from kiosk.flows.visit_records import Deposit, PickupItem, Retrieval, ShownCode
    from kiosk.services.backoffice import ECertificate, PaymentOrder, ResultDocument
    from kiosk.services.material_pdf import MaterialPdf
    from kiosk.services.staff import StaffMember


@dataclass(slots=True)
class IdentifyData:
    """Face check and passport steps (kiosk.flows.identify, kiosk.flows.passport)."""

    reference: np.ndarray | None = None  # the photo the face is compared with (BGR)
    face_challenge: str | None = None  # the liveness action asked for, until the check ends
    face_guidance: str | None = None  # the last hint ("closer", "light"...)
    mrz_key: MrzKey | None = None  # between the MRZ read and the chip read only


@dataclass(slots=True)
class ApplyData:
    """Materials, the submitted case's result and the drop-off (kiosk.flows.apply)."""

    attached: dict[int, str] = field(default_factory=dict)  # material index -> "ecert" | "scan"
    skipped: set[int] = field(default_factory=set)
    ecerts: dict[str, ECertificate] = field(default_factory=dict)  # e-certificate type -> certificate
    ecert_count: int | None = None  # how many the back office returned (None: not asked)
    reading_page: np.ndarray | None = None  # a good picture waiting for its OCR reading
    hold_capture: bool = False  # a refused page may still lie on the glass: wait for "retake"
    refused: dict[int, tuple[str, str]] = field(default_factory=dict)  # material index -> reason (zh, en)
    flags: dict[int, set[str]] = field(default_factory=dict)  # material index -> check rules for staff
    notice_printed: bool = False  # the one-time notice of missing materials
    promised_date: str | None = None  # YYYY-MM-DD
    material_pdfs: dict[int, MaterialPdf] = field(default_factory=dict)  # material index -> packed PDF
    document: ResultDocument | None = None  # the issued result to print, from the submission receipt
    certificate_pages: int | None = None
    certificate_failure: str | None = None  # a CERT_FAILURES reason
    dropoff: str | None = None  # compartment the paper materials went into


@dataclass(slots=True)
class FormData:
    """The application form step (kiosk.flows.form)."""

    readings: list[DocumentReading] = field(default_factory=list)  # accepted pages' OCR, for pre-filling
    form: FilledForm | None = None
    form_field: str | None = None  # the key of the field being edited
    form_pdf: MaterialPdf | None = None  # set once the confirmed form is rendered


@dataclass(slots=True)
class PaymentData:
    """The fee step and its refund (kiosk.flows.payment)."""

    order: PaymentOrder | None = None
    payment_codes_seen: set[str] = field(default_factory=set)  # fingerprints of codes already tried
    code_refusals: int = 0
    code_refusal: str | None = None  # the last refused code's outcome (a CODE_REFUSALS key)
    refund_note: str | None = None  # why the paid order is refunded
    refunded: bool = False
    refund_note_printed: bool = False


@dataclass(slots=True)
class QueryData:
    """Case status query (kiosk.flows.query)."""

    wanted_case: str | None = None  # a case number from another station's receipt
    case_nos: list[str] | None = None  # None until known: the back office's list comes first
    stale: bool = False  # the back office could not be asked: the statuses may be old
    shown_codes: list[ShownCode] | None = None  # pickup codes shown for failed SMS (None: not looked)


@dataclass(slots=True)
class CollectData:
    """Pickup from the cabinet (kiosk.flows.collect)."""

    auth: str | None = None  # what authorised the pickup, for the door-open records
    pickup_code: str | None = None  # the code entered, checked again with the ID card where required
    items: list[PickupItem] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # compartments
    failed: list[str] = field(default_factory=list)  # compartments whose door did not open
    opening: str | None = None  # the compartment being opened now
    collected: list[str] = field(default_factory=list)  # case numbers confirmed taken
    confirmed: bool | None = None  # the person's answer (None: not asked)


@dataclass(slots=True)
class StaffData:
    """Staff sign-in, deposit, retrieval and the commissioning door test (kiosk.flows.staff, commission)."""

    member: StaffMember | None = None  # the signed-in staff member (before the PIN, too)
    compartment: str | None = None  # the one being opened or waited on
    looking_up: str | None = None  # a case number the back office is asked about
    needs_id: bool = False  # the deposited result's pickup wants the ID card too
    pickup_code: str | None = None  # for the slip if the SMS fails
    notified_to: str | None = None  # the masked mobile number the SMS went to
    deposited: list[Deposit] = field(default_factory=list)
    item: Retrieval | None = None  # the retrieval chosen
    retrieved: list[Retrieval] = field(default_factory=list)
    door: str | None = None  # commissioning: the compartment whose door is being tested


@dataclass(slots=True)
class VisitData:
    """Everything about the person a flow keeps between steps; wiped with the session."""

    case_no: str | None = None  # the case this visit opened (apply) or is depositing (deposit)
    receipt_on_screen: bool = False  # the receipt was shown instead of printed
    identify: IdentifyData = field(default_factory=IdentifyData)
    apply: ApplyData = field(default_factory=ApplyData)
    form: FormData = field(default_factory=FormData)
    payment: PaymentData = field(default_factory=PaymentData)
    query: QueryData = field(default_factory=QueryData)
    collect: CollectData = field(default_factory=CollectData)
    staff: StaffData = field(default_factory=StaffData)

    def is_blank(self) -> bool:
        """True when every field (in every group) holds its default: nothing about a person."""
        return _blank(self)

    def clear_in_place(self) -> None:
        """Empty every list, dict and set (in every group), for holders of a reference to one."""
        _clear(self)


_COLLECTIONS = (list, dict, set)
# the group classes: the fields of VisitData whose default is a dataclass (a new group counts at once)
_GROUPS = tuple(f.default_factory for f in fields(VisitData)
                if isinstance(f.default_factory, type) and is_dataclass(f.default_factory))


def default_of(f: Any) -> Any:
    """The default value of a dataclass field (a fresh one for a default factory)."""
    return f.default_factory() if f.default is MISSING else f.default


def _blank(data: Any) -> bool:
    for f in fields(data):
        value, default = getattr(data, f.name), default_of(f)
        if isinstance(value, _GROUPS):
            if not _blank(value):
                return False
        elif value is None and default is None:
            continue
        elif type(value) is not type(default):
            return False  # e.g. [] where None is the default: "present, though empty"
        elif isinstance(value, _COLLECTIONS):
            if value:
                return False
        elif value != default:
            return False
    return True


def _clear(data: Any) -> None:
    for f in fields(data):
        value = getattr(data, f.name)
        if isinstance(value, _GROUPS):
            _clear(value)
        elif isinstance(value, _COLLECTIONS):
            value.clear()
