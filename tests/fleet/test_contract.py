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


# What the station publishes (send) and subscribes to (receive), and what is retained: the topic
# design of docs/protocols/fleet-mqtt.md, written here independently of scripts/gen_asyncapi.py.
STATION_SENDS = {"status", "event", "health", "reported", "result", "rpc_request"}
STATION_RECEIVES = {"ack", "desired", "command", "rpc_response"}
RETAINED = {"status", "health", "desired", "reported"}


def test_asyncapi_lists_every_topic_with_an_existing_schema():
    doc = json.loads(ASYNCAPI.read_text())
    assert doc["asyncapi"].startswith("3.")
    code_topics = {
        topics.status("k-id"), topics.event("k-id", "{type}"), topics.ack("k-id"), topics.health("k-id"),
        topics.desired("k-id"), topics.reported("k-id"), topics.command("k-id", "{name}"), topics.result("k-id"),
        topics.rpc_request("k-id"), topics.rpc_response("k-id")}
    doc_topics = {ch["address"].replace("{kiosk_id}", "k-id") for ch in doc["channels"].values()}
    assert doc_topics == code_topics
    components = doc["components"]["messages"]
    used = set()
    for key, ch in doc["channels"].items():
        assert len(ch["messages"]) == 1, key
        (msg_id, msg_ref), = ch["messages"].items()
        assert msg_ref == {"$ref": f"#/components/messages/{msg_id}"}, key
        msg = components[msg_id]
        assert msg["name"] == msg_id, f"message {msg_id}: its name should be its id"
        ref = msg["payload"]["$ref"]
        target = (ASYNCAPI.parent / ref).resolve()
        assert target.exists(), (key, ref)
        assert target.parent == SCHEMA_DIR.resolve(), f"{key}: the payload must be the station's schema file"
        name = target.name.removesuffix(".schema.json")
        assert name == msg_id, f"message {msg_id} carries {name}"
        used.add(name)
    assert used == set(components) == set(contract.SCHEMA_NAMES) - {"command_args"}
    assert {p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json")} == set(contract.SCHEMA_NAMES)


def test_asyncapi_operations_are_the_stations_with_qos_and_retain():
    doc = json.loads(ASYNCAPI.read_text())
    by_channel = {}
    for op_id, op in doc["operations"].items():
        key = op["channel"]["$ref"].removeprefix("#/channels/")
        assert key in doc["channels"], (op_id, op["channel"])
        assert key not in by_channel, f"channel {key} has two operations"
        by_channel[key] = op
        assert op["messages"] == [{"$ref": f"#/channels/{key}/messages/{m}"} for m in doc["channels"][key]["messages"]]
        mqtt = op["bindings"]["mqtt"]
        assert mqtt["qos"] == 1, op_id
        assert mqtt["retain"] is (key in RETAINED), op_id
    assert set(by_channel) == set(doc["channels"])
    assert {k for k, op in by_channel.items() if op["action"] == "send"} == STATION_SENDS
    assert {k for k, op in by_channel.items() if op["action"] == "receive"} == STATION_RECEIVES


def test_asyncapi_info_and_servers():
    doc = json.loads(ASYNCAPI.read_text())
    info = doc["info"]
    assert info["license"]["name"].strip()
    assert all(info["contact"].get(f, "").strip() for f in ("name", "url", "email")), info["contact"]
    assert doc["servers"]
    for name, server in doc["servers"].items():
        assert server["protocol"] in ("mqtt", "secure-mqtt") and server["protocolVersion"] == "5", name
        assert ":" in server["host"] and "://" not in server["host"], f"server {name}: host is host:port in 3.0"
    cmd = doc["components"]["messages"]["command"]["bindings"]["mqtt"]
    assert cmd["responseTopic"].replace("{kiosk_id}", "k-id") == topics.result("k-id")
    req = doc["components"]["messages"]["rpc_request"]["bindings"]["mqtt"]
    assert req["responseTopic"].replace("{kiosk_id}", "k-id") == topics.rpc_response("k-id")
    names = contract.schema("command")["properties"]["name"]["enum"]
    assert doc["channels"]["command"]["parameters"]["name"]["enum"] == names


# Keywords whose meaning differs between JSON Schema 2020-12 (what the station validates with) and
# draft 07 (what AsyncAPI Schema readers and the office's compiled checker assume).
_NOT_IN_DRAFT7 = {"prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
                  "dependentSchemas", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$anchor",
                  "minContains", "maxContains"}


def _draft7_problems(node, where="#"):
    if isinstance(node, list):
        for i, x in enumerate(node):
            yield from _draft7_problems(x, f"{where}/{i}")
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node and len(node) > 1:
        yield f"{where}: $ref with siblings (ignored in draft 07)"
    for key, value in node.items():
        if key in _NOT_IN_DRAFT7:
            yield f"{where}/{key}"
        if key == "items" and isinstance(value, list):
            yield f"{where}/items (an array: tuple form differs)"
        if key in ("properties", "patternProperties", "$defs", "definitions") and isinstance(value, dict):
            for prop, sub in value.items():
                yield from _draft7_problems(sub, f"{where}/{key}/{prop}")
        elif key not in ("examples", "enum", "const", "default"):
            yield from _draft7_problems(value, f"{where}/{key}")


@pytest.mark.parametrize("name", contract.SCHEMA_NAMES)
def test_schema_means_the_same_in_draft7(name):
    assert list(_draft7_problems(contract.schema(name))) == []


def test_draft7_check_finds_what_it_should():
    bad = {"type": "object", "properties": {"prefixItems": {"type": "string"},
                                            "a": {"prefixItems": [{}], "$ref": "#/x", "type": "array"}}}
    assert list(_draft7_problems(bad)) == [
        "#/properties/a: $ref with siblings (ignored in draft 07)", "#/properties/a/prefixItems"]


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
