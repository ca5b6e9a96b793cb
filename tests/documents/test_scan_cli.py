"""`kiosk scan` end to end, as a subprocess."""

from __future__ import annotations

import json
import subprocess

import cv2
import pikepdf
import pytest

from hw_sim.documents import page_photo, render_page


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp("scan")
    out = {}
    for kind in ("good", "glare", "blurred"):
        out[kind] = d / f"{kind}.jpg"
        cv2.imwrite(str(out[kind]), page_photo(kind)[0], [cv2.IMWRITE_JPEG_QUALITY, 92])
    out["flat"] = d / "flat.png"
    cv2.imwrite(str(out["flat"]), render_page())
    out["corrupt"] = d / "corrupt.jpg"
    out["corrupt"].write_bytes(out["good"].read_bytes()[:300])
    out["text"] = d / "notes.png"
    out["text"].write_text("this is not an image")
    return out


def _run(python, *args):
    return subprocess.run([python, "-m", "kiosk", "scan", *map(str, args)], capture_output=True, text=True, timeout=60)


def test_json_per_image(python, images, tmp_path):
    pdf = tmp_path / "out.pdf"
    p = _run(python, images["good"], images["glare"], images["blurred"], "--out", pdf, "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout.strip().splitlines()[-1])
    good, glare, blurred = doc["images"]
    assert good["page_found"] and good["quality"]["ok"] and good["quality"]["problems"] == []
    assert len(good["corners"]) == 4 and all(len(c) == 2 for c in good["corners"])
    assert {(c["type"], c["text"]) for c in good["codes"]} == {
        ("QRCODE", "https://zwfw.example.gov.cn/q/SIM0001-20261122-0042-P"), ("CODE128", "SIM0001-20261122-0042-P")}
    assert glare["quality"]["problems"] == ["glare"]
    assert blurred["quality"]["problems"] == ["blur"] and blurred["quality"]["blur"] < 150
    assert all(r["ms"] > 0 for r in doc["images"])
    assert doc["pdf"] == {"file": str(pdf), "pages": 3}
    assert len(pikepdf.open(pdf).pages) == 3


def test_flatbed_scan(python, images):
    p = _run(python, "--flatbed", images["flat"], "--json")
    r = json.loads(p.stdout)["images"][0]
    assert p.returncode == 0 and r["page_found"] and r["quality"]["ok"]


def test_text_output(python, images):
    p = _run(python, images["glare"])
    assert p.returncode == 0
    assert "problems: glare" in p.stdout and "QRCODE" in p.stdout


def test_corrupt_and_missing_files_fail_clearly_but_others_are_reported(python, images, tmp_path):
    missing = tmp_path / "nope.jpg"
    p = _run(python, images["good"], images["corrupt"], images["text"], missing, "--json")
    assert p.returncode == 2
    doc = json.loads(p.stdout.strip().splitlines()[-1])
    assert doc["images"][0]["page_found"] is True
    assert "not a readable image" in doc["images"][1]["error"]
    assert "not a readable image" in doc["images"][2]["error"]
    assert "no such file" in doc["images"][3]["error"]
    assert str(images["corrupt"]) in p.stderr and str(missing) in p.stderr


def test_pdf_without_any_page_fails(python, tmp_path):
    desk = tmp_path / "desk.jpg"
    cv2.imwrite(str(desk), page_photo("no_page")[0])
    p = _run(python, desk, "--out", tmp_path / "x.pdf", "--json")
    assert p.returncode == 1
    assert "no page" in json.loads(p.stdout)["pdf_error"]
    assert not (tmp_path / "x.pdf").exists()


def test_station_config_thresholds_are_used(python, images, sim_config_path, tmp_path):
    text = sim_config_path.read_text()
    assert "[devices.scanner]" in text
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace("[devices.scanner]", "[devices.scanner]\nblur_min = 100000.0", 1))
    p = _run(python, images["good"], "--config", strict, "--json", "--no-codes")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["images"][0]["quality"]["problems"] == ["blur"]
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[devices.scanner]", "[devices.scanner]\nblur_minimum = 3", 1))
    p = _run(python, images["good"], "--config", bad)
    assert p.returncode == 1 and "blur_minimum" in p.stderr
