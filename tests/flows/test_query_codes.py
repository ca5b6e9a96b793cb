"""Security finding 16 (query codes): a receipt's QR carries a MAC over the case number, so a
guessed or neighbouring case number (case numbers are sequential) shows nothing."""

from __future__ import annotations

from hw_sim.identities import get_identity
from kiosk.devices.scanner.payloads import RECEIPT_URL_PREFIX, check_char
from kiosk.flows.apply import receipt_qr


def _case(world) -> str:  # noqa: ANN001
    return world.services.cases.open("PS-002", get_identity("obama").id_number, promised_days=5).case_no


def _scan(world, text: str):  # noqa: ANN001, ANN202
    f = world.start("query")
    assert f.act("scan_receipt")
    for _ in range(3):
        world.scanner.code(text)
        world.pump(f)
        world.wait_services(f)
        if f.ended or f.state == "timeline":
            break
    return f


def test_receipt_qr_with_its_mac_shows_the_timeline(world) -> None:  # noqa: ANN001
    case_no = _case(world)
    qr = receipt_qr(case_no, world.services.hasher)
    assert case_no in qr and len(qr) > len(RECEIPT_URL_PREFIX + case_no) + 10
    f = _scan(world, qr)
    assert f.state == "timeline"


def test_a_guessed_case_number_shows_nothing(world) -> None:  # noqa: ANN001
    case_no = _case(world)
    station, day, seq, _check = case_no.split("-")
    other = _case(world)  # the next applicant's case: its number is the obvious guess
    assert other.split("-")[2] == f"{int(seq) + 1:04d}"
    for guess in (RECEIPT_URL_PREFIX + other, other, receipt_qr(other, world.services.hasher)[:-1] + "0"):
        f = _scan(world, guess)
        assert f.state != "timeline" and f.outcome == "not_found", (guess, f.state, f.outcome)
    body = f"{station}-{day}-{int(seq) + 1:04d}"
    assert other == f"{body}-{check_char(body)}"
