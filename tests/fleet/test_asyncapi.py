"""The AsyncAPI document is generated from the payload schemas (no drift) and the official AsyncAPI
parser (@asyncapi/parser, pinned in tools/asyncapi/) reads it with no error and no warning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.services.fleet import contract

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI = ROOT / "docs" / "contract" / "asyncapi.json"
SCHEMA_DIR = ROOT / "kiosk" / "services" / "fleet" / "schemas"
GEN = ROOT / "scripts" / "gen_asyncapi.py"
TOOLS = ROOT / "tools" / "asyncapi"
VALIDATE = TOOLS / "validate.mjs"
PAYLOADS = set(contract.SCHEMA_NAMES) - {"command_args"}

# Diagnostics below warning that are known and accepted, with the reason (see docs/adr/0178-*.md).
ACCEPTED_INFO = {
    # the parser recommends 3.1.0; 3.1 adds only ROS 2 bindings, and 3.0.0 is what the wider
    # AsyncAPI tooling (generator templates, Modelina, Studio) reads
    "asyncapi-latest-version",
}


def gen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GEN), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


# --- the generator -----------------------------------------------------------------------------

def test_committed_document_is_the_generated_one():
    r = gen("--check")
    assert r.returncode == 0, r.stderr + "\n(the schemas or scripts/gen_asyncapi.py changed: run it and commit)"


def test_check_notices_a_stale_document(tmp_path):
    out = tmp_path / "asyncapi.json"
    assert gen("--out", str(out)).returncode == 0
    assert gen("--out", str(out), "--check").returncode == 0
    doc = json.loads(out.read_text())
    doc["channels"]["ack"]["address"] = "k/v1/{kiosk_id}/acks"
    out.write_text(json.dumps(doc))
    r = gen("--out", str(out), "--check")
    assert r.returncode == 1 and "stale" in r.stderr and "gen_asyncapi.py" in r.stderr


def test_payload_refs_follow_the_output_location(tmp_path):
    out = tmp_path / "asyncapi.json"
    assert gen("--out", str(out)).returncode == 0
    doc = json.loads(out.read_text())
    for msg_id, msg in doc["components"]["messages"].items():
        target = (out.parent / msg["payload"]["$ref"]).resolve()
        assert target == (SCHEMA_DIR / f"{msg_id}.schema.json").resolve()


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.write_text("{ not json"), "not a readable JSON schema"),
    (lambda p: p.unlink(), "missing"),
])
def test_a_bad_schema_is_named_and_nothing_is_written(tmp_path, damage, words):
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, schemas)
    damage(schemas / "ack.schema.json")
    out = tmp_path / "asyncapi.json"
    out.write_text("previous\n")
    r = gen("--schemas", str(schemas), "--out", str(out))
    assert r.returncode == 1
    assert "ack.schema.json" in r.stderr and words in r.stderr, r.stderr
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asyncapi.json", "schemas"]  # no temp file left


def test_command_names_come_from_the_command_schema(tmp_path):
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, schemas)
    cmd = json.loads((schemas / "command.schema.json").read_text())
    cmd["properties"]["name"]["enum"].append("reboot")
    (schemas / "command.schema.json").write_text(json.dumps(cmd))
    out = tmp_path / "asyncapi.json"
    assert gen("--schemas", str(schemas), "--out", str(out)).returncode == 0
    assert "reboot" in json.loads(out.read_text())["channels"]["command"]["parameters"]["name"]["enum"]


# --- the official parser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def parser_installed():
    """The pinned @asyncapi/parser in tools/asyncapi/node_modules (scripts/bootstrap.sh installs it;
    installed here from package-lock.json when missing). Skips only when node is absent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/bootstrap.sh installs nodejs and npm); "
                    "the official AsyncAPI parser is a Node.js package")
    if not (TOOLS / "node_modules" / "@asyncapi" / "parser" / "package.json").exists():
        npm = shutil.which("npm")
        assert npm, "node is installed but npm is not: install npm (scripts/bootstrap.sh does)"
        r = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=TOOLS,
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"npm ci in {TOOLS} failed:\n{r.stdout}\n{r.stderr}"
    return node


def parse(node: str, path: Path) -> tuple[int, dict]:
    r = subprocess.run([node, str(VALIDATE), str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.stdout, f"validate.mjs printed nothing (exit {r.returncode}): {r.stderr}"
    return r.returncode, json.loads(r.stdout)


def test_official_parser_reads_the_contract_with_no_error_and_no_warning(parser_installed):
    rc, out = parse(parser_installed, ASYNCAPI)
    serious = [d for d in out["diagnostics"] if d["severity"] in ("error", "warning")]
    assert serious == [], json.dumps(serious, indent=2)
    assert {d["code"] for d in out["diagnostics"]} <= ACCEPTED_INFO, json.dumps(out["diagnostics"], indent=2)
    assert rc == 0 and out["parsed"] and out["asyncapi"].startswith("3.")


def test_official_parser_sees_an_id_and_the_station_schema_for_every_message(parser_installed):
    _, out = parse(parser_installed, ASYNCAPI)
    ids = {contract.schema(n)["$id"]: n for n in PAYLOADS}
    seen = {m["id"]: m for m in out["messages"]}
    assert set(seen) == PAYLOADS
    for msg_id, m in seen.items():
        assert m["name"] == msg_id
        assert ids.get(m["payloadId"]) == msg_id, f"message {msg_id} resolved to payload {m['payloadId']}"
    assert len(out["operations"]) == len(PAYLOADS)
    for op in out["operations"]:
        assert op["action"] in ("send", "receive") and len(op["address"]) == 1 and len(op["messageIds"]) == 1, op


def test_official_parser_reports_errors_in_a_broken_document(parser_installed, tmp_path):
    """The parser is not a rubber stamp: 2.x habits and broken references are errors in 3.0."""
    doc_path = tmp_path / "asyncapi.json"
    assert gen("--out", str(doc_path)).returncode == 0
    doc = json.loads(doc_path.read_text())
    doc["components"]["messages"]["status"]["messageId"] = "status"  # a 2.x field
    doc["components"]["messages"]["ack"]["payload"]["$ref"] = "nowhere/ack.schema.json"
    del doc["operations"]["send_event"]["channel"]
    doc_path.write_text(json.dumps(doc))
    rc, out = parse(parser_installed, doc_path)
    errors = [d for d in out["diagnostics"] if d["severity"] == "error"]
    where = {d["path"] for d in errors}
    assert rc == 1 and not out["parsed"]
    assert "components/messages/status/messageId" in where
    assert "components/messages/ack/payload/$ref" in where
    assert "operations/send_event" in where


def test_validate_script_refuses_a_missing_file(parser_installed, tmp_path):
    r = subprocess.run([parser_installed, str(VALIDATE), str(tmp_path / "none.json")], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "cannot read" in r.stderr and "none.json" in r.stderr
    r = subprocess.run([parser_installed, str(VALIDATE)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage" in r.stderr
