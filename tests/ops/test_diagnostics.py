"""`kiosk diagnostics export`: logs, commissioning report, config, health and versions in one zip —
and no personal data, though the logs and the database were seeded with an ID number and a name."""

from __future__ import annotations

import json
import zipfile

from kiosk.services.diagnostics_export import scrub_text
from tests.ops.conftest import APPLICANT, run_kiosk

NAME = "欧文博"  # the applicant's name on the card (shared sample identity obama)
PHONE = "13912345678"


def test_export_holds_what_support_needs_and_nothing_personal(seeded, tmp_path):
    log_dir = seeded.files.log_dir
    log_dir.mkdir(parents=True)
    (log_dir / "station.log").write_text(
        "2026-11-22 01:00:00 INFO kiosk.flows.apply: card read\n"
        f"2026-11-22 01:00:01 WARNING kiosk.flows.apply: unexpected holder {NAME} id={APPLICANT} phone {PHONE}\n"
        f'2026-11-22 01:00:02 DEBUG kiosk.devices.idreader: record {{"name": "{NAME}", "id_number": "{APPLICANT}"}}\n'
        "2026-11-22 01:00:03 ERROR kiosk.devices.printer: paper out\n", encoding="utf-8")
    seeded.files.commissioning_dir.mkdir(parents=True)
    (seeded.files.commissioning_dir / "report.json").write_text(json.dumps({"ok": True, "tested_by": NAME}),
                                                                 encoding="utf-8")
    (seeded.root / "var" / "fleet").mkdir(parents=True)
    secret_pw = "s3cr3t-broker-pw"
    (seeded.root / "var" / "fleet" / "station.pw").write_text(secret_pw)
    text = seeded.config_path.read_text().replace("[fleet]\n", '[fleet]\npassword_file = "var/fleet/station.pw"\n', 1)
    seeded.config_path.write_text(text)
    out = tmp_path / "diag.zip"
    r = run_kiosk(*seeded.cli("diagnostics", "export", "--out", str(out), "--json"))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        blob = b"".join(z.read(n) for n in names).decode("utf-8")
        assert {"manifest.json", "logs/station.log", "commissioning/report.json", "config.json", "health.json",
                "versions.json"} <= names
        log = z.read("logs/station.log").decode()
        assert "paper out" in log and "1101**********0130" in log  # useful lines kept, the ID masked
        health = json.loads(z.read("health.json"))
        assert health["store"]["tables"]["cases"] == 3 and health["store"]["audit_chain"]["ok"]
        assert health["store"]["schema_versions"]["staff"] == 3
        config = json.loads(z.read("config.json"))
        assert config["fleet"]["password_file"] == "<removed>" and config["station"]["id"] == "sim-0001"
        manifest = json.loads(z.read("manifest.json"))
    for personal in (APPLICANT, NAME, PHONE, "19610804", secret_pw, "246810"):
        assert personal not in blob, personal
    key = seeded.files.hash_key.read_bytes()
    assert key.hex() not in blob and not any(n.endswith((".db", ".key")) for n in names)
    assert manifest["station_id"] == "sim-0001"
    assert "logs/journal-kiosk-station.txt" in names or "logs/journal-kiosk-station.txt" in manifest["skipped"]


def test_export_of_a_bare_root_and_an_unwritable_target(seeded, tmp_path):
    out = tmp_path / "bare.zip"
    r = run_kiosk(*seeded.cli("diagnostics", "export", "--out", str(out), "--no-journal"))
    assert r.returncode == 0, r.stderr
    assert "skipped logs/" in r.stdout and "skipped commissioning/" in r.stdout
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_kiosk(*seeded.cli("diagnostics", "export", "--out", str(blocker / "d.zip"), "--no-journal"))
    assert r.returncode == 1 and "cannot write the bundle" in r.stderr
    assert not list(tmp_path.glob(".*.tmp"))


def test_scrub_text():
    assert scrub_text(f"id {APPLICANT} ok") == "id 1101**********0130 ok"
    assert scrub_text("old id 110101610804013 ok") == "old id 1101*******4013 ok"
    assert scrub_text("call 13912345678") == "call 139****5678"
    assert scrub_text('{"name": "Obama Barack", "x": 1}') == '{"name": <removed>, "x": 1}'
    assert scrub_text(f"holder={NAME} door A01") == "holder=<removed> door A01"
    assert scrub_text(f"seen {NAME} at A01") == "seen [CJK] at A01"
    assert scrub_text("case SIM0001-20261122-0001-V intent 42 took 1500 ms") == \
        "case SIM0001-20261122-0001-V intent 42 took 1500 ms"  # case numbers and figures survive
