"""`staff_add` / `staff_disable` from the back office, through the real command path: signed command
-> CommandProcessor (contract, signature, store, audit) -> the station's StationCommands target ->
StaffRegistry; the enrolment is completed at the station with the card, the code and a new PIN."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.core.clock import SystemClock
from kiosk.services import pin_hash
from kiosk.services.fleet import signing
from kiosk.services.fleet.commands import CommandProcessor
from kiosk.services.keyed_hash import mask_id_number
from tests.fleet_station.conftest import station_toml

pytestmark = pytest.mark.timeout(90)
TECH_CARD = "330106198702090626"  # rose_leslie
NEW_CARD = "110101196108040130"  # obama: not yet staff


@pytest.fixture
def station_and_processor(tmp_path):
    from hw_sim.station.instant import start_instant_station

    key = signing.generate()
    root = tmp_path / "st"
    root.mkdir()
    (root / "station.toml").write_text(station_toml("", signing.public_hex(key), mode="in-process"))
    station, _, _ = start_instant_station(load_config(root / "station.toml"), root)
    processor = CommandProcessor(station.store, station.config.station.id, key.public_key(), station.fleet_target,
                                 station.audit, SystemClock())
    try:
        yield station, processor, key
    finally:
        station.close()


def _send(station, processor, key, name, args):
    now = int(time.time())
    cmd = {"cmd_id": str(uuid.uuid4()), "kiosk_id": station.config.station.id, "name": name, "operator": "ops:li",
           "issued_at": now, "expires_at": now + 300, "args": args}
    cmd["sig"] = signing.sign(cmd, key)
    decision = processor.receive(name, json.dumps(cmd).encode())
    if decision.job is None:
        return decision.response
    return processor.execute(decision.job)  # acts as the signed operator


def test_staff_add_offers_an_enrolment_the_person_completes_at_the_station(station_and_processor):
    station, processor, key = station_and_processor
    code = "50317264"
    args = {"staff_no": "S010", "display_name": "窗口 10 / Desk 10", "role": "staff",
            "card_masked": mask_id_number(NEW_CARD), "enrol_code_hash": pin_hash.encode(code), "valid_h": 24}
    res = _send(station, processor, key, "staff_add", args)
    assert res["status"] == "done", res
    assert res["result"]["staff_no"] == "S010" and "completes it there" in res["detail"]
    staff = station.services.staff
    assert staff.by_card(NEW_CARD) is None  # not staff until the person comes with card and code
    staff.complete_enrolment("S010", code, NEW_CARD, "290417")
    assert staff.by_card(NEW_CARD).staff_no == "S010" and staff.check_pin("S010", "290417").ok
    # nothing secret in the audit log: no code hash, no card number, no PIN
    dump = json.dumps([r.__dict__ for r in station.audit.records(limit=10_000)], ensure_ascii=False)
    assert args["enrol_code_hash"] not in dump and NEW_CARD not in dump and "290417" not in dump
    actions = [(r.action, r.actor) for r in station.audit.records(limit=10_000)]
    assert ("staff.enrolment_offered", "backoffice:ops:li") in actions
    assert ("staff.enrolled", "enrolment:backoffice:ops:li") in actions


def test_staff_disable_by_command(station_and_processor):
    station, processor, key = station_and_processor
    assert station.services.staff.by_card(TECH_CARD).staff_no == "T001"
    res = _send(station, processor, key, "staff_disable", {"staff_no": "T001", "reason": "left the service"})
    assert res["status"] == "done" and res["result"]["changed"] is True, res
    assert station.services.staff.by_card(TECH_CARD) is None
    res = _send(station, processor, key, "staff_disable", {"staff_no": "T404", "reason": "x"})
    assert res["status"] == "failed" and "no staff member 'T404'" in res["detail"], res
    disabled = [r for r in station.audit.records(limit=10_000) if r.action == "staff.disabled"]
    assert disabled[0].actor == "backoffice:ops:li" and disabled[0].detail["reason"] == "left the service"


@pytest.mark.parametrize("args, says", [
    ({"staff_no": "S011", "display_name": "x", "role": "staff", "card_masked": "3101**********0310",
      "pin": "246810", "valid_h": 24}, "Additional properties"),  # a PIN in clear is not even accepted
    ({"staff_no": "S011", "display_name": "x", "role": "staff", "card_masked": "310115196211200310",
      "enrol_code_hash": pin_hash.encode("1"), "valid_h": 24}, "does not match"),  # a full card number
    ({"staff_no": "S011", "display_name": "x", "role": "boss", "card_masked": "3101**********0310",
      "enrol_code_hash": pin_hash.encode("1"), "valid_h": 24}, "boss"),
    ({"staff_no": "S011", "display_name": "x", "role": "staff", "card_masked": "3101**********0310",
      "enrol_code_hash": "sha1$abc", "valid_h": 24}, "does not match"),
])
def test_bad_staff_add_is_rejected_before_it_reaches_the_station(station_and_processor, args, says):
    station, processor, key = station_and_processor
    res = _send(station, processor, key, "staff_add", args)
    assert res["status"] == "rejected" and res["reason"] == "bad_args" and says in res["detail"], res
    assert station.services.staff.pending() == []
