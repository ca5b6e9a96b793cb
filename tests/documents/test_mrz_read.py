"""The MRZ of a passport data page: found among OCR lines, OCR confusions repaired by field type,
every check digit verified (ICAO Doc 9303 part 4 specimen), and the real OCR on generated
passport pages from the simulator (the same MRZ the virtual chip carries)."""

from __future__ import annotations

import pytest

from kiosk.devices.idreader.emrtd.mrz import mrz_information
from kiosk.devices.scanner.mrz_read import mrz_from_lines

# ICAO Doc 9303 part 4, appendix A: the TD3 specimen
L1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
L2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


def test_the_icao_specimen_is_read_with_every_check_digit():
    r = mrz_from_lines(["REPUBLIC OF UTOPIA", L1, L2])
    assert r.ok and r.failure is None
    m = r.mrz
    assert (m.surname, m.given_names, m.document_number, m.nationality) == ("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO")
    assert (m.birth_date, m.sex, m.expiry_date, m.optional_data) == ("740812", "F", "120415", "ZE184226B")
    key = r.key()
    assert mrz_information(key.document_number, key.birth_date, key.expiry_date) == L2[0:10] + L2[13:20] + L2[21:28]


@pytest.mark.parametrize("line1, line2, why", [
    (L1, "L898902C36UT07408I22F12O4159ZE184226B<<<<<1O", "O/0 and I/1 in digit and letter fields"),
    (L1, "L898902C36UTO74O8122F1204159ZE184226B<<<<<10".replace("7408", "74O8"), "O for 0 in the birth date"),
    (L1, "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10", "O for 0 in the document number (check digit decides)"),
    (L1, "L898902C36UTO7408122F12O4I59ZE184226B<<<<<10", "O and I in the expiry date"),
    (L1, "L898902C36UTO74O8IZZF12O4159ZE184226B<<<<<10", "Z for 2 in the birth date and its check digit"),
    ("P<UTOERIKSSON<<ANNA<MARIA<<<", L2, "a filler run shortened by the OCR"),
    ("P<UTOERIKSSON<<ANNA<MARIA<<K<<KK<<<X<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<K<<10", "K and X read for fillers"),
    (L1.replace("<", "«"), L2.replace("<", "«"), "« read for <"),
    ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C3 6UTO740812 2F1204159 ZE184226B<<<<<10", "spaces between boxes"),
    (L1, "L898902C36UTO7408122F1204159ZE184226B<<<<<<10", "one filler too many on line 2"),
    (L1, "L898902C36UTO7408122F12041S9ZE184226B<<<<<10", "S for 5"),
    ("P<UTOERIKSSON<<ANNA<MA", L2, "line 1 cut short"),
])
def test_usual_ocr_confusions_are_repaired(line1, line2, why):
    r = mrz_from_lines([line1, line2])
    assert r.ok, (why, r)
    assert (r.mrz.document_number, r.mrz.birth_date, r.mrz.expiry_date) == ("L898902C3", "740812", "120415"), why
    assert r.mrz.optional_data == "ZE184226B" and r.mrz.surname.startswith("ERIKSS")


def test_an_ambiguous_repair_is_not_guessed():
    # L89B902C3: B->8 at index 3 and 8->B at index 1 both satisfy the document number's digit (and
    # the composite, same weights): either could be the misread, so neither key is tried
    r = mrz_from_lines([L1, "L89B902C36UTO7408122F1204159ZE184226B<<<<<10"])
    assert (r.failure, r.field) == ("check_digit", "document_number")


def test_line_2_alone_gives_the_key_with_names_unknown():
    r = mrz_from_lines(["B<<<", L2])  # line 1 lost by the OCR but for its last fillers
    assert r.ok and (r.mrz.document_number, r.mrz.nationality, r.mrz.surname) == ("L898902C3", "UTO", "")


@pytest.mark.parametrize("line2, field", [
    ("L898902C37UTO7408122F1204159ZE184226B<<<<<10", "document_number"),
    ("L898902C36UTO7408123F1204159ZE184226B<<<<<10", "birth_date"),
    ("L898902C36UTO7408122F1204158ZE184226B<<<<<10", "expiry_date"),
    ("L898902C36UTO7408122F1204159ZE184226B<<<<<20", "optional_data"),
    ("L898902C36UTO7408122F1204159ZE184226B<<<<<11", "composite"),
    ("L898902C36UTO7408122F1204159ZE184226B<<<<<<1", "optional_data"),
])
def test_a_wrong_check_digit_is_refused_naming_the_field(line2, field):
    r = mrz_from_lines([L1, line2])
    assert not r.ok and r.mrz is None
    assert (r.failure, r.field) == ("check_digit", field)
    with pytest.raises(ValueError, match="check_digit"):
        r.key()


@pytest.mark.parametrize("lines", [[], ["PASSPORT", "REPUBLIC OF UTOPIA"], [L1], ["hello <<< world"],
                                   [L1, "L898902C36UTO74"]])
def test_no_mrz_is_not_found(lines):
    r = mrz_from_lines(lines)
    assert (r.ok, r.failure, r.field) == (False, "not_found", None)


def test_a_reading_shows_nothing_personal_and_wipes():
    r = mrz_from_lines([L1, L2])
    text = repr(r) + str(r)
    for secret in ("L898902C3", "ERIKSSON", "740812"):
        assert secret not in text
    assert "L898902" not in repr(r.key()) and "740812" not in repr(r.key())
    r.wipe()
    assert r.mrz is None and not r.ok


# -- the real OCR on the simulator's passport pages -------------------------------------------------

@pytest.fixture(scope="module")
def ocr():
    pytest.importorskip("rapidocr_onnxruntime")
    from kiosk.devices.scanner import mrz_read

    return mrz_read


def _page(identity: str, damage: str = "none"):
    import cv2

    from hw_sim.passport_page import render_passport

    img = render_passport(identity, damage)
    return cv2.resize(img, (1240, round(1240 * 297 / 210)), interpolation=cv2.INTER_AREA)  # as the scanner corrects it


@pytest.mark.parametrize("identity", ["obama"])
def test_real_ocr_reads_the_simulated_data_page_and_its_key_opens_the_chip(ocr, identity):
    from hw_sim.emrtd.documents import td3_mrz
    from hw_sim.identities import get_identity

    r = ocr.read_mrz(_page(identity))
    assert r.ok, r
    key = r.key()
    printed = td3_mrz(get_identity(identity))
    assert mrz_information(key.document_number, key.birth_date, key.expiry_date) == \
        printed[44:54] + printed[57:64] + printed[65:72]  # what hw_sim's chip derives its BAC keys from
    assert r.ms > 0


def test_real_ocr_refuses_the_page_with_a_wrong_check_digit(ocr):
    r = ocr.read_mrz(_page("obama", "check_digit"))
    assert (r.failure, r.field) == ("check_digit", "birth_date")


def test_the_scanner_reads_the_mrz_from_camera_frames(ocr):
    from hw_sim.passport_page import passport_frames
    from kiosk.config.devices import ScannerConfig
    from kiosk.devices.scanner.capture import CameraDocumentScanner

    scanner = CameraDocumentScanner(ScannerConfig(url="camera://document"), frames=passport_frames("rose_leslie"))
    scanner.open()
    events = []
    scanner.subscribe(events.append)
    try:
        done = scanner.read_mrz(timeout=20).result(30)
    finally:
        scanner.close()
    assert done.ok and done.data.ok, (done.code, done.detail, done.data)
    assert done.data.mrz.document_number == "E40000045"
    assert any(getattr(e, "kind", "") == "feedback" for e in events)
