"""Malformed receipt data is refused with a message naming each bad field, before anything
reaches the printer; personal data must arrive masked."""

from __future__ import annotations

import pytest

from kiosk.devices.base import ResultCode
from kiosk.devices.printer.receipts import ReceiptDataError, parse_receipt
from kiosk.devices.printer.samples import sample
from kiosk.devices.printer.templates import build_receipt


def _with(kind: str, **changes):
    data = sample(kind)
    for k, v in changes.items():
        if v is None:
            data.pop(k, None)
        else:
            data[k] = v
    return data


@pytest.mark.parametrize(
    "kind, changes, message",
    [
        ("application", {"applicant_id_masked": "110101199001011234"}, "applicant_id_masked: must be a masked ID"),
        ("application", {"applicant_name_masked": "张三明"}, "applicant_name_masked: must be masked"),
        ("application", {"case_number": "sq 1"}, "case_number: String should match pattern"),
        ("application", {"query_url": "javascript:alert(1)"}, "query_url: must be an http(s) URL"),
        ("application", {"query_url": "https://a.example/\x1b@"}, "query_url"),
        ("application", {"service_item": "医保\x1d!\x77登记"}, "service_item: contains control characters"),
        ("application", {"service_item": "   "}, "service_item: String should have at least 1 character"),
        ("application", {"promised_date": "2026-11-01"}, "promised_date is before issued_at"),
        ("application", {"promised_date": "next week"}, "promised_date: Input should be a valid date"),
        ("application", {"fee_yuan": "-1"}, "fee_yuan: Input should be greater than or equal to 0"),
        ("application", {"fee_yuan": "1.234"}, "fee_yuan: Decimal input should have no more than 2 decimal places"),
        ("application", {"materials": [{"name": "x", "pages": -1}]}, "materials.0.pages"),
        ("application", {"materials": "身份证"}, "materials: Input should be a valid list"),
        ("application", {"surprise": 1}, "surprise: unknown field"),
        ("application", {"issued_at": None}, "issued_at: Field required"),
        ("pickup", {"compartment": "A7"}, "compartment: String should match pattern"),
        ("pickup", {"items": []}, "items: List should have at least 1 item"),
        ("deposit_slip", {"notified_phone_masked": "13812345678"}, "notified_phone_masked: must be a masked mobile"),
        ("deposit_slip", {"staff_id": "S 1; rm -rf"}, "staff_id: String should match pattern"),
        ("test_page", {"printed_at": 12.5e99}, "printed_at"),
    ],
)
def test_bad_fields_are_named(kind, changes, message):
    with pytest.raises(ReceiptDataError) as err:
        parse_receipt(kind, _with(kind, **changes))
    assert message in str(err.value)
    assert str(err.value).startswith(f"{kind} receipt data: ")


def test_unknown_kind_language_and_non_object():
    with pytest.raises(ReceiptDataError, match="unknown receipt kind"):
        parse_receipt("invoice", {})
    with pytest.raises(ReceiptDataError, match="data must be an object, not list"):
        parse_receipt("pickup", [1, 2])
    with pytest.raises(ReceiptDataError, match="unknown language 'fr'"):
        build_receipt("pickup", sample("pickup"), "fr")


def test_every_problem_is_listed_at_once():
    with pytest.raises(ReceiptDataError) as err:
        parse_receipt("pickup", {"case_number": "x", "compartment": "?", "bogus": 1})
    fields = {p.split(":")[0] for p in err.value.problems}
    assert fields == {"case_number", "compartment", "items", "picked_up_at", "bogus"}


def test_invalid_data_never_reaches_the_printer(sim, printer):
    before = sim.status_requests
    done = printer.print_document("application", _with("application", applicant_id_masked="110101199001011234")).result(5)
    assert done.code is ResultCode.INVALID_DATA and "never a full number" in done.detail
    bad_lang = printer.print_document("pickup", sample("pickup"), "de").result(5)
    assert bad_lang.code is ResultCode.INVALID_DATA and "unknown language" in bad_lang.detail
    assert sim.receipts == [] and sim.status_requests == before


def test_long_values_wrap_inside_the_paper(sim, printer):
    data = _with("application", service_item="不动产登记（国有建设用地使用权及房屋所有权首次登记、转移登记、变更登记）" * 1,
                 materials=[{"name": "超长的材料名称" * 5, "pages": 12, "form": "scan"}])
    assert printer.print_document("application", data).result(10).ok
    r = sim.wait_receipts(1)[0]
    assert not any(l.overflow for l in r.lines)
    assert r.errors == []


def test_station_formats_are_accepted():
    """Case numbers, masked IDs and QR URLs as the station's services produce them."""
    from datetime import date

    from kiosk.services.cases import format_case_number
    from kiosk.services.keyed_hash import mask_id_number

    case_no = format_case_number("sim-0001", date(2026, 11, 22), 12)
    for id_number in ("11010119900307123X", "E12345678", "AB1234567CD", "G1234"):
        data = _with("application", case_number=case_no, applicant_id_masked=mask_id_number(id_number),
                     query_url=f"https://zwfw.example.gov.cn/q/{case_no}")
        assert parse_receipt("application", data).applicant_id_masked == mask_id_number(id_number)


def test_case_numbers_of_a_long_station_id_print(sim, printer):
    """A station id may have 40 characters (config); its case numbers are then 56 long and must
    still print (they were refused as invalid_data above 32), wrapped inside the paper."""
    from datetime import date

    from kiosk.services.cases import format_case_number

    case_no = format_case_number("guangzhoutianhezhujiangxinchengzhan24h01", date(2026, 11, 22), 7)
    assert len(case_no) == 56
    for kind in ("application", "pickup", "deposit_slip"):
        done = printer.print_document(kind, _with(kind, case_number=case_no)).result(10)
        assert done.ok, done.detail
    receipts = sim.wait_receipts(3)
    for r in receipts:
        assert r.errors == [] and not any(line.overflow for line in r.lines)
        assert case_no in "".join(r.texts).replace(" ", "")
    assert receipts[2].qr == [f"CASE:{case_no}"]


def test_data_that_is_not_an_object_is_a_completion_not_an_exception(sim, printer):
    """print_document must answer with a completion whatever the caller passes."""
    from kiosk.devices.printer.receipts import ApplicationReceipt

    for data in ("SQ20261122-000123", None, 42):
        done = printer.print_document("application", data).result(5)
        assert done.code is ResultCode.INVALID_DATA and "data must be an object" in done.detail
    model = ApplicationReceipt.model_validate(sample("application"))
    assert printer.print_document("application", model).result(10).ok
    wrong_kind = printer.print_document("pickup", model).result(5)  # not printed as an application
    assert wrong_kind.code is ResultCode.INVALID_DATA
    assert len(sim.wait_receipts(1)) == 1
