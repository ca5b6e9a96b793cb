"""The soak's visits, a registry: name -> what a citizen, staff member or technician does at the
station, through the same service calls the flows make (kiosk/flows/*). Each visit tolerates what
a fault does to it the way the flow does (door not opened: left for staff; printer out: no receipt)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from kiosk.devices.idreader.cn_id import id_check_char
from kiosk.services.cabinet import AuthorisationUsed, CabinetError, NoCompartmentFree
from kiosk.services.cases import CaseError
from kiosk.services.keyed_hash import mask_id_number
from kiosk.services.pickup_codes import PickupCodeError

if TYPE_CHECKING:  # pragma: no cover
    from hw_sim.soak.station import SoakStation

MATTER = "PS-001"
EXPIRE_AFTER_DAYS = 30


def _receipt(s: "SoakStation", kind: str, data: dict[str, Any]) -> None:
    s.printer.print_document(kind, data).result(1)  # printer out: the visit goes on without a receipt


def _new_applicant(s: "SoakStation") -> str:
    """A fresh, valid resident ID number: every applicant is a different person, as in a hall."""
    body = f"110101{s.rng.randint(1950, 2005)}{s.rng.randint(1, 12):02d}{s.rng.randint(1, 28):02d}" \
           f"{s.rng.randrange(1000):03d}"
    return body + id_check_char(body)


def apply(s: "SoakStation") -> None:
    applicant = _new_applicant(s)
    try:
        case = s.cases.open(MATTER, applicant, promised_days=5)
    except CaseError:
        return
    _receipt(s, "application", {
        "case_number": case.case_no, "service_item": "soak", "applicant_id_masked": mask_id_number(applicant),
        "promised_date": case.promised_date or s.clock.now().date().isoformat(),
        "query_url": f"https://example.org/q/{case.case_no}", "issued_at": s.clock.now().isoformat()})
    s.outside.recent.append((case.case_no, applicant))
    if s.rng.random() < 0.3 and len(s.outside.ready) < s.outside.ready.maxlen:  # the back office moves it on
        for status in ("accepted", "approved", "result_ready"):
            s.cases.set_status(case.case_no, status)
        s.outside.ready.append(case.case_no)


def query(s: "SoakStation") -> None:
    """By the receipt's QR code (the case number) or by ID card (every case of that person)."""
    if not s.outside.recent:
        return
    case_no, applicant = s.rng.choice(s.outside.recent)
    if s.rng.random() < 0.5:
        s.cases.find(case_no)
    else:
        s.cases.for_applicant(applicant)


def deposit(s: "SoakStation") -> None:
    if not s.outside.ready:
        return apply(s)
    case = s.cases.find(s.outside.ready[0])
    if case is None or case.status != "result_ready":  # a killed station process deposited it already
        s.outside.ready.popleft()
        return None
    try:
        c = s.cabinet_service.reserve(s.rng.choice("SML"), case.case_no, "staff:1")
    except NoCompartmentFree:
        return None
    out = s.cabinet_service.release_for_deposit(c.id, "staff:1")
    if not out.ok:
        return None  # flagged by the not_opened / no_reply outcome; staff look later
    s.cabinet.close_door(c.board, c.lock)
    try:
        s.cabinet_service.confirm_closed(c.id, "staff:1", intent_id=out.intent_id)
    except CabinetError:
        return None
    s.outside.ready.popleft()
    s.cases.set_compartment(case.case_no, c.id)
    s.cases.set_status(case.case_no, "deposited")
    _receipt(s, "deposit_slip", {"case_number": case.case_no, "compartment": c.id, "staff_id": "S-1",
                                 "deposited_at": s.clock.now().isoformat()})
    try:
        issued = s.codes.issue([case.case_no])
    except PickupCodeError:
        return None  # clock not set: no code now; the citizen can collect by ID card
    if s.sms_fails_next:
        s.sms_fails_next = False
    else:
        s.sms[case.case_no] = issued.code
    return None


def _loaded(s: "SoakStation") -> Any:
    loaded = [c for c in s.cabinet_service.compartments() if c.state == "loaded" and c.attention is None]
    return s.rng.choice(loaded) if loaded else None


def _collect(s: "SoakStation", auth: str, c: Any, actor: str = "citizen") -> bool:
    try:
        out = s.cabinet_service.release_for_pickup(c.id, auth, actor)
    except (AuthorisationUsed, CabinetError):
        return False
    if not out.ok:
        return False
    s.cabinet.close_door(c.board, c.lock)
    try:
        s.cabinet_service.confirm_closed(c.id, actor, intent_id=out.intent_id)
    except CabinetError:
        return False
    s.sms.pop(c.case_id, None)
    s.codes.revoke_for_case(c.case_id)
    return True


def pickup_code(s: "SoakStation") -> None:
    c = _loaded(s)
    if c is None:
        return deposit(s)
    code = s.sms.get(c.case_id)
    if code is None:  # the SMS never came (or a restart lost track): the back office sends a new one
        try:
            code = s.codes.issue([c.case_id]).code
        except PickupCodeError:
            return None
        s.sms[c.case_id] = code
    check = s.codes.verify(code, session=f"v{s.rng.getrandbits(48):x}")
    if not check.ok:
        s.sms.pop(c.case_id, None)  # expired (clock step) or revoked: next time a new one
        return None
    if not s.codes.consume(check.code_id):
        return None
    if _collect(s, f"pickup-code:{check.code_id}:{c.id}", c):
        s.cases.set_status(c.case_id, "collected")
    return None


def pickup_id(s: "SoakStation") -> None:
    c = _loaded(s)
    if c is not None and _collect(s, f"identity:{s.rng.getrandbits(64):x}:{c.id}", c):
        s.cases.set_status(c.case_id, "collected")


def wrong_code(s: "SoakStation") -> None:
    s.codes.verify(f"{s.rng.randrange(10**6):06d}", session=f"w{s.rng.getrandbits(48):x}")


def staff_retrieve(s: "SoakStation") -> None:
    """Staff take back results nobody collected in time (kiosk/flows/staff.py RetrieveFlow)."""
    for case in s.cases.overdue_pickups(EXPIRE_AFTER_DAYS)[:2]:
        if not case.compartment:
            continue
        try:
            c = s.cabinet_service.get(case.compartment)
        except CabinetError:
            continue
        if _collect(s, f"staff:1:{s.rng.getrandbits(64):x}:{c.id}", c, actor="staff:1"):
            s.cases.set_compartment(case.case_no, None)
            s.cases.set_status(case.case_no, "expired")


def technician(s: "SoakStation") -> None:
    c = s.rng.choice(s.cabinet_service.compartments())
    s.cabinet_service.technician_open(c.id, "door test", "tech:1")
    s.cabinet.close_door(c.board, c.lock)
    _receipt(s, "test_page", {"printed_at": s.clock.now().isoformat(), "technician": "T-1"})


def forced(s: "SoakStation") -> None:
    c = s.rng.choice(s.cabinet_service.compartments())
    s.cabinet.emit("uncommanded_open", board=c.board, lock=c.lock, detail="")
    staff_round(s)


def walk_away(s: "SoakStation") -> None:
    c = _loaded(s)
    if c is None:
        return
    try:
        out = s.cabinet_service.release_for_pickup(c.id, f"identity:{s.rng.getrandbits(64):x}:{c.id}", "citizen")
    except (AuthorisationUsed, CabinetError):
        return
    if out.ok:
        s.cabinet_service.flag(c.id, "visit ended with the door open", "station")
    staff_round(s)


def staff_round(s: "SoakStation") -> None:
    """Staff look at flagged compartments: shut the door, clear the flag."""
    for c in s.cabinet_service.compartments():
        if c.attention:
            s.cabinet.close_door(c.board, c.lock)
            s.cabinet_service.clear_attention(c.id, "staff:1", "checked")


VISITS: dict[str, Callable[["SoakStation"], None]] = {
    "apply": apply, "query": query, "deposit": deposit, "pickup_code": pickup_code, "pickup_id": pickup_id,
    "wrong_code": wrong_code, "staff_retrieve": staff_retrieve, "technician": technician, "forced": forced,
    "walk_away": walk_away,
}
