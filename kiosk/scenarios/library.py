"""The scripted visits (`kiosk scenario --list`). Sample people come from `hw_sim.identities`:
`obama` is the citizen, `biden` a staff member (PIN 246810), `rose_leslie` a technician
(PIN 135790); the face camera shows the card holder unless a step says otherwise."""

from __future__ import annotations

from kiosk.scenarios.model import Scenario, act, advance, close_door, page, scan_pages, sim, tick, wait, wait_idle

STAFF_PIN = "246810"
TECH_PIN = "135790"


def _identify(person: str = "obama", face: bool = True) -> list[dict]:
    """The person stands at the camera and puts their card on the reader (the face check, if
    any, follows by itself: the next wait covers it)."""
    steps = [wait("identify_card")]
    if face:
        steps.append(sim("camera", "set_person", identity=person))
    return steps + [sim("id_reader", "insert", identity=person)]


def _fill_form(*keyed: tuple[str, str]) -> list[dict]:
    """The application form (智能填表): key or choose each (field, value) through its own screen,
    then confirm what the card and the materials filled in."""
    steps = [wait("form", 30)]
    for key, value in keyed:
        steps += [act("edit", key=key), wait("form_edit"), act("set", value=value), wait("form")]
    return steps + [act("confirm")]


def _staff(person: str = "biden", pin: str = STAFF_PIN) -> list[dict]:
    return _identify(person, face=False) + [wait("staff_pin"), act("pin", pin=pin)]


SCENARIOS: dict[str, Scenario] = {}


def _add(s: Scenario) -> None:
    SCENARIOS[s.name] = s


_add(Scenario(
    "apply", "Apply for an individual business licence: card + face, e-certificate, scan 2 pages, receipt",
    "apply", tuple([
        act("search", query="gtgsh"), act("select", code="ME-001"), wait("guide"), act("start"),
        *_identify(), wait("ecert_consent"), act("consent"),
        wait("scan"), scan_pages(2), wait("scan"),
        act("skip"), act("skip"),
        *_fill_form(("phone", "13800138000"), ("organisation", "individual")),
        wait("done", 30), act("finish"), wait("rating"), act("rate", score=5),
    ]), "completed"))

_add(Scenario(
    "print-certificate", "Print a social-insurance certificate on the A4 printer: card + face, e-certificate, "
    "certificate printed and its pages counted, receipt",
    "apply", tuple([
        act("select", code="SI-001"), wait("guide"), act("start"), *_identify(),
        wait("ecert_consent"), act("consent"), wait("certificate", 30), wait("done", 60), act("finish"),
        wait("rating"), act("rate", score=4),
    ]), "completed"))

_add(Scenario(
    "print-certificate-paper-out", "The A4 printer is out of paper: the citizen is told, gets the electronic "
    "certificate by QR code, and is not charged",
    "apply", tuple([
        sim("docprinter", "fault", kind="paper_out"),
        act("select", code="SI-001"), wait("guide"), act("start"), *_identify(),
        wait("ecert_consent"), act("consent"), wait("certificate_failed", 30), act("continue"),
        wait("done", 30), act("finish"), wait("rating"), act("skip"), sim("docprinter", "fault", kind="clear"),
    ]), "completed"))

_add(Scenario(
    "apply-missing-material", "Apply without the required proof of premises: one-time notice of what is missing",
    "apply", tuple([
        act("select", code="ME-001"), wait("guide"), act("start"), *_identify(),
        wait("ecert_consent"), act("decline"),
        wait("scan"), act("skip"), act("skip"), act("skip"), act("skip"),
        wait("missing"), act("finish"), wait("ended"),
    ]), "missing_material"))

_add(Scenario(
    "query", "Check progress by scanning the receipt QR code", "query", tuple([
        act("scan_receipt"), wait("scan_receipt"), page(qr="{receipt_qr}"),
        wait("timeline", 30), act("finish"), wait("rating"), act("rate", score=5),
    ]), "completed", setup="submitted_case"))

_add(Scenario(
    "collect", "Collect a result with ID card + face: door opens, closed, confirmed, rated, receipt",
    "collect", tuple([
        act("identify"), *_identify(), wait("take", 30), close_door(), wait("confirm"), act("taken"),
        wait("rating"), act("rate", score=5), wait("done"), act("finish"),
    ]), "completed", setup="deposited_result"))

_add(Scenario(
    "collect-by-code", "Collect with the SMS pickup code (this item also needs the ID card)",
    "collect", tuple([
        act("code"), wait("code_entry"), act("code", code="{code}"), *_identify("mongol", face=False),
        wait("take", 30), close_door(), wait("confirm"), act("taken"), wait("rating"), act("skip"),
        wait("done"), act("finish"),
    ]), "completed", setup="deposited_result", setup_args={"person": "mongol"}))

_add(Scenario(
    "collect-wrong-person", "Someone else's ID card with a right pickup code: the door stays shut",
    "collect", tuple([
        act("code"), wait("code_entry"), act("code", code="{code}"), *_identify("obama", face=False),
        wait("ended"),
    ]), "wrong_person", setup="deposited_result", setup_args={"person": "jino"}))

_add(Scenario(
    "deposit", "Staff deposit: card + PIN, scan the envelope barcode, compartment opens, closed, citizen notified",
    "deposit", tuple([
        *_staff(), wait("scan_envelope"), page(barcode="{case_no}"), wait("deposit_close", 30), close_door(),
        wait("deposit_done", 30), act("finish"),
    ]), "completed", setup="result_ready", setup_args={"person": "foreign_origin"}))

_add(Scenario(
    "drop-off", "Apply for a residence permit by drop-off: paper originals into a compartment",
    "apply", tuple([
        act("select", code="PS-003"), wait("guide"), act("start"), *_identify(), wait("ecert_consent"),
        act("consent"), wait("scan"), act("skip"), act("skip"), act("skip"), act("skip"),
        wait("dropoff_offer", 30), act("dropoff"), wait("dropoff_close", 30), close_door(), wait("done"),
        act("finish"), wait("rating"), act("skip"),
    ]), "completed"))

_add(Scenario(
    "timeout-midway", "The citizen walks away after identifying: the visit ends and nothing personal remains",
    "apply", tuple([
        act("select", code="PS-002"), wait("guide"), act("start"), *_identify(), wait("ecert_consent"),
        advance(45), tick(), wait("ecert_consent"), advance(20), tick(), wait("ended"),
    ]), "timeout"))

_add(Scenario(
    "printer-out-of-paper", "A certificate print with the printer out of paper: receipt shown as a QR code",
    "apply", tuple([
        sim("printer", "set_paper", state="out"), act("select", code="PS-002"), wait("guide"), act("start"),
        *_identify(), wait("ecert_consent"), act("consent"), wait("receipt_on_screen", 30), act("continue"),
        wait("done"), act("finish"), wait("rating"), act("skip"),
    ]), "completed"))

_add(Scenario(
    "door-jammed", "The compartment's lock is jammed: the door does not open, staff are told",
    "collect", tuple([
        sim("cabinet", "jam_lock", board="{board}", lock="{lock}"), act("code"), wait("code_entry"),
        act("code", code="{code}"), *_identify("kit_harington", face=False), wait("ended", 40),
    ]), "door_not_opened", setup="deposited_result", setup_args={"person": "kit_harington"}))

_add(Scenario(
    "board-offline", "The lock board holding the result stops answering: no door opens, the station degrades",
    "collect", tuple([
        sim("cabinet", "set_board_offline", board="{board}"), act("code"), wait("code_entry"),
        act("code", code="{code}"), *_identify("alex_lacamoire", face=False), wait("ended", 40),
    ]), "door_not_opened", setup="deposited_result", setup_args={"person": "alex_lacamoire"}))

_add(Scenario(
    "collect-photo-attack", "The card holder's printed photo held up to the camera: refused and audited",
    "collect", tuple([
        act("identify"), wait("identify_card"), sim("camera", "set_person", identity="tibetan_long_term"),
        sim("camera", "show", source="printed_photo"), sim("id_reader", "insert", identity="tibetan_long_term"),
        wait("ended", 60),
    ]), "fraud_attempt", setup="deposited_result", setup_args={"person": "tibetan_long_term"}))

_add(Scenario(
    "staff-retrieve", "Staff retrieve: dropped-off originals and a result not collected in 30 days",
    "retrieve", tuple([
        *_staff(), wait("retrieve_list"), act("open", compartment="{dropoff_compartment}"),
        wait("retrieve_close", 30), close_door(), wait("retrieve_list"),
        act("open", compartment="{expired_compartment}"), wait("retrieve_close", 30), close_door(),
        wait("retrieve_list"), act("finish"),
    ]), "completed", setup="dropoff_and_expired"))

_add(Scenario(
    "commission", "Technician commissioning: self-test, bus scan, four doors, test page, camera, link, bundle",
    "commission", tuple([
        *_staff("rose_leslie", TECH_PIN), wait("selftest"), act("next"), wait("bus_scan"), act("next"),
        wait("door_test"), wait_idle(), act("next"), wait("printer_test"),
        wait_idle(), act("next"), wait("camera_check"), wait_idle(),
        act("next"), wait("link_check"), wait_idle(), act("next"), wait("export"),
        act("next"), wait("report"), act("finish"),
    ]), "completed", flow_args={"doors": ["A01", "A12", "A24", "B08"]}))


# -- payment (付款码 / the station's QR) --------------------------------------------------------
SCREENSHOT_CODE = "134000000000004321"  # the payment code a citizen kept as a screenshot
_add(Scenario(
    "passport", "Check progress with a passport: data page on the document camera (MRZ read, check digits), "
    "chip opened with the BAC key, face compared with the chip's photo (DG2); no cases for this person",
    "query", tuple([
        act("identify"), wait("identify_card"), act("passport"), wait("identify_passport"),
        sim("camera", "set_person", identity="rose_leslie"),
        sim("document_camera", "show_passport", identity="rose_leslie"),
        wait("identify_passport_chip"), sim("passport_reader", "insert", identity="rose_leslie"),
        wait("ended", 30),
    ]), "not_found", needs=("passport_reader",)))

_add(Scenario(
    "passport-damaged-mrz", "A passport whose MRZ has a wrong check digit: asked again with guidance "
    "(the field named) three times, then refused; the chip is never read",
    "query", tuple([
        act("identify"), wait("identify_card"), act("passport"), wait("identify_passport"),
        sim("document_camera", "show_passport", identity="rose_leslie", damaged=1),
        wait_idle(), act("retry"), wait_idle(), act("retry"), wait("ended", 30),
    ]), "passport_unreadable", needs=("passport_reader",)))

# played on instant devices in the test suite only: each needs card + face + two OCR-read pages
# (~60 s on the simulators); `kiosk scenario NAME` plays them on the simulators by hand. (The
# passport visits play on the simulated station too: a virtual passport on pcscd + vpcd.)
INSTANT_ONLY = frozenset({"pay-by-code", "pay-by-station-qr", "pay-code-reused"})


def _to_payment(code: str = "SI-003") -> list[dict]:
    """A fee item up to its payment step, with the back office's automatic payment off."""
    return [sim("backoffice", "set_auto_pay", on=False),
            act("select", code=code), wait("guide"), act("start"), *_identify(),
            wait("ecert_consent"), act("consent"), wait("scan"), scan_pages(2), wait("scan"),
            act("skip"), act("skip"), *_fill_form(("phone", "13800138000"), ("reason", "lost")), wait("pay", 30)]


_add(Scenario(
    "pay-by-code", "Replace a social security card and pay by showing the phone's payment code (付款码) to "
    "the document camera", "apply", tuple([
        *_to_payment(), sim("document_camera", "show_payment_code"),
        wait("done", 60), act("finish"), sim("document_camera", "show", source="no_page"),
        sim("backoffice", "set_auto_pay", on=True), wait("rating"), act("skip"),
    ]), "completed"))

_add(Scenario(
    "pay-by-station-qr", "Replace a social security card and pay by scanning the station's QR code with the "
    "phone: the station polls the order until it is paid", "apply", tuple([
        *_to_payment(), sim("backoffice", "pay", wait_s=10),
        wait("done", 60), act("finish"), sim("backoffice", "set_auto_pay", on=True), wait("rating"), act("rate", score=5),
    ]), "completed"))

_add(Scenario(
    "pay-code-reused", "A payment code from a screenshot, already used once, is shown again: refused with its "
    "own message; the citizen cancels and nothing is charged or kept", "apply", tuple([
        sim("backoffice", "mark_code_used", code=SCREENSHOT_CODE), *_to_payment(),
        sim("document_camera", "show_payment_code", code=SCREENSHOT_CODE),
        wait("pay_refused", 20), sim("document_camera", "show", source="no_page"),
        act("cancel_payment"), wait("ended"), sim("backoffice", "set_auto_pay", on=True),
    ]), "payment_canceled"))
