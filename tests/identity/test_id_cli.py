"""`kiosk id read`: against the SAM simulator (in-process `--url sim` and a sam:// pty URL) and the
virtual passport over pcscd; the full ID number never appears in the output."""

from __future__ import annotations

import json
import subprocess
import sys

from hw_sim.identities import get_identity
from kiosk.cli import main


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    rc = main(["id", "read", *argv, "--json"])
    out = capsys.readouterr()
    return rc, json.loads(out.out.strip().splitlines()[-1])


def test_read_sim_json(capsys):
    rc, payload = run_json(capsys, "--url", "sim", "--sim-identity", "tibetan_long_term")
    ident = get_identity("tibetan_long_term")
    assert rc == 0 and payload["code"] == "success"
    assert payload["name"] == ident.name_zh and payload["valid_to"] == "长期" and payload["long_term"] is True
    assert payload["nation_name_zh"] == "藏" and payload["nation_name_en"] == "Tibetan"
    assert payload["id_number_masked"] == ident.id_number[:4] + "*" * 10 + ident.id_number[-4:]
    assert payload["id_number_valid"] is True and payload["expired"] is False
    assert payload["photo"] == {"available": True, "format": "jpeg", "bytes": payload["photo"]["bytes"], "reason": None}
    assert ident.id_number not in json.dumps(payload, ensure_ascii=False)


def test_read_sam_url_without_decoder_reports_why(capsys, sam_sim):
    sam_sim.cmd_insert(identity="bad_check_digit")
    rc, payload = run_json(capsys, "--url", f"sam://{sam_sim.path}?baud=115200", "--timeout", "3")
    assert rc == 0 and payload["id_number_valid"] is False
    assert payload["photo"]["available"] is False and "WLT" in payload["photo"]["reason"]


def test_expired_card_text_output(capsys):
    rc = main(["id", "read", "--url", "sim", "--sim-identity", "expired"])
    out = capsys.readouterr().out
    assert rc == 0 and "已过期 Expired: True" in out and "照片 Photo: available" in out
    assert get_identity("expired").id_number not in out


def test_bad_arguments_fail_clearly(capsys):
    assert main(["id", "read", "--url", "pcsc://x", "--mrz", "E1,19610804,310520", "--json"]) == 2
    assert "YYMMDD" in capsys.readouterr().err
    assert main(["id", "read", "--url", "nope://x", "--json"]) == 2
    assert "no idreader backend" in capsys.readouterr().err
    assert main(["id", "read", "--url", "sim", "--sim-identity", "nobody", "--json"]) == 2
    assert "no sample identity" in capsys.readouterr().err


def test_absent_port(capsys):
    rc, payload = run_json(capsys, "--url", "sam:///dev/ttyNOSUCH?baud=115200")
    assert rc == 1 and payload["code"] == "device_not_ready" and "ttyNOSUCH" in payload["error"]


def test_passport_over_pcsc(capsys, passport, pcsc_env, tmp_path):
    ident = get_identity("kit_harington")
    passport.cmd_insert(identity=ident.key)
    store = passport.cmd_trust_store(directory=str(tmp_path / "csca"))
    rc, payload = run_json(capsys, "--url", f"pcsc://{pcsc_env.reader}", "--trust-store", store,
                           "--mrz", f"{ident.passport_number},{ident.mrz_birth},{ident.mrz_expiry}")
    assert rc == 0, payload
    assert payload["doc_type"] == "passport" and payload["name"] == "JIN HAILIN"
    assert payload["checks"]["passive_auth"] == "hashes ok; signature valid; chain valid"
    assert payload["photo"]["available"] and payload["photo"]["format"] == "jpeg"
    assert ident.passport_number not in json.dumps(payload)


def test_cli_as_a_process():
    out = subprocess.run([sys.executable, "-m", "kiosk", "id", "read", "--url", "sim", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["name"] == get_identity("obama").name_zh
    assert get_identity("obama").id_number not in out.stdout + out.stderr
