"""The written contract is real: schemas are valid, examples validate, the AsyncAPI document
names existing schemas and the topics the code uses, the docs' examples validate, and what the
station publishes validates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from kiosk.services.fleet import contract, topics

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI = ROOT / "docs" / "contract" / "asyncapi.json"
SCHEMA_DIR = ROOT / "kiosk" / "services" / "fleet" / "schemas"


@pytest.mark.parametrize("name", contract.SCHEMA_NAMES)
def test_schema_is_valid_and_examples_validate(name):
    s = contract.schema(name)
    jsonschema.Draft202012Validator.check_schema(s)
    for ex in s.get("examples", []):
        contract.validate(name, ex)
    if name != "command_args":
        assert s.get("examples"), f"{name} has no example"


def test_schemas_reject_what_they_should():
    assert contract.check("event", {"event_id": "x", "seq": 0, "type": "a", "boot_id": "b", "ts": "t", "data": {}})
    assert contract.check("ack", {"upto_seq": -1})
    assert contract.check("ack", {"upto_seq": 1, "extra": True})
    assert contract.check("result", {"cmd_id": "x", "status": "maybe", "detail": "", "ts": "2026-11-22T03:00:00Z"})
    ok = contract.schema("command")["examples"][0]
    bad = {**ok, "args": {"compartment": "A01"}}  # reason missing for open_compartment
    assert contract.check("command", bad).startswith("command: args")
    assert contract.check("rpc_response", {"call_id": ok["cmd_id"], "ok": False})  # error required


def test_asyncapi_lists_every_topic_with_an_existing_schema():
    doc = json.loads(ASYNCAPI.read_text())
    assert doc["asyncapi"].startswith("2.")
    code_topics = {
        topics.status("k-id"), topics.event("k-id", "{type}"), topics.ack("k-id"), topics.health("k-id"),
        topics.desired("k-id"), topics.reported("k-id"), topics.command("k-id", "{name}"), topics.result("k-id"),
        topics.rpc_request("k-id"), topics.rpc_response("k-id")}
    doc_topics = {ch.replace("{kiosk_id}", "k-id") for ch in doc["channels"]}
    assert doc_topics == code_topics
    used = set()
    for ch, body in doc["channels"].items():
        ops = [k for k in ("publish", "subscribe") if k in body]
        assert len(ops) == 1, ch
        ref = body[ops[0]]["message"]["payload"]["$ref"]
        target = (ASYNCAPI.parent / ref).resolve()
        assert target.exists(), (ch, ref)
        used.add(target.name.removesuffix(".schema.json"))
    assert used == set(contract.SCHEMA_NAMES) - {"command_args"}
    assert {p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json")} == set(contract.SCHEMA_NAMES)


def test_every_example_in_the_docs_validates():
    # The examples live in docs/protocols/fleet-mqtt.md and docs/operator/index.md; every page is
    # read so an example keeps being checked wherever it moves.
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = {}
    for path in docs:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<!-- schema: (\w+) -->\s*```json\n(.*?)```", text, re.S):
            key = str(path.relative_to(ROOT))
            found[key] = found.get(key, 0) + 1
            contract.validate(m.group(1), json.loads(m.group(2)))
    fleet_page = ROOT / "docs" / "protocols" / "fleet-mqtt.md"
    assert sum(found.values()) >= 5, f"the fleet pages should show checked examples (found {found})"
    assert found.get(str(fleet_page.relative_to(ROOT)), 0) >= 5, f"{fleet_page} should show the checked payload examples"


def test_what_the_station_sends_validates(broker, make_station, make_backoffice):
    bo = make_backoffice(broker)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    st.emit(3)
    cmd = bo.send_command(st.kiosk_id, "set_maintenance", {"on": True})
    bo.wait_result(cmd["cmd_id"], "done")
    assert bo.wait_upto(st.kiosk_id, st.outbox.stats().last_seq, 5)
    for name in ("status", "health"):
        contract.validate(name, getattr(bo.track(st.kiosk_id), name))
    for res in bo.results[cmd["cmd_id"]]:
        contract.validate("result", res)
    assert not bo.contract_violations


def test_command_target_and_outbox_import_no_mqtt_library():
    """Flows implement CommandTarget and call the outbox; neither may drag paho in (layer rule)."""
    import subprocess
    import sys
    code = ("import sys, kiosk.services.outbox, kiosk.services.fleet.commands; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('paho', 'kivy', 'serial', 'cv2', 'hw_sim')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
