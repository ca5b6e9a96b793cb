"""`kiosk scenario print-certificate --json` on the simulated station prints through the private
CUPS and lists the PDF the printer produced; the paper-out visit offers the electronic copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _scenario(tmp_path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "kiosk", "scenario", *args, "--json", "--root", str(tmp_path),
                          "--config", str(ROOT / "config/sim.toml")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=240)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_print_certificate_on_the_simulated_station(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the private CUPS needs root")
    out = _scenario(tmp_path, "print-certificate")
    assert out["outcome"] == "completed" and "certificate" in [s["state"] for s in out["states"]]
    [doc] = out["documents"]
    assert doc["kind"] == "certificate" and doc["pages"] == 1
    pdf = Path(doc["pdf"])
    assert pdf.parent == tmp_path / "out" / "certificates"  # written by cups-pdf, kept after the run
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    from hw_sim.identities import get_identity
    from kiosk.services.certificate_pdf import mask_name

    name = get_identity("obama").name_zh  # the citizen of the scripted visit
    assert "社会保险个人参保证明" in text and f"姓名：{mask_name(name)}" in text and name not in text


def test_print_certificate_and_paper_out_on_instant_devices(tmp_path):
    out = _scenario(tmp_path / "a", "print-certificate", "--instant")
    [doc] = out["documents"]
    assert doc["pages"] == 1 and Path(doc["pdf"]).read_bytes().startswith(b"%PDF-")
    out = _scenario(tmp_path / "b", "print-certificate-paper-out", "--instant")
    assert "certificate_failed" in [s["state"] for s in out["states"]] and out["documents"] == []
