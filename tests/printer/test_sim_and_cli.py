"""The printer simulator's control API, its standalone mode, and `kiosk print` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hw_sim.control import ControlClient, ControlError, ControlHub
from kiosk.cli import main as kiosk_main
from kiosk.devices.printer.samples import sample

ROOT = Path(__file__).resolve().parents[2]


def test_control_api_in_process_and_over_the_socket(sim, printer, tmp_path):
    hub = ControlHub()
    hub.add(sim)
    path = hub.serve(tmp_path / "sim.sock")
    try:
        client = ControlClient(path)
        assert set(client.call("hub", "describe")["printer"]) >= {
            "set_paper", "jam", "offline", "status", "receipts", "last_receipt", "clear", "render_dir"}
        assert client.call("printer", "last_receipt") is None
        assert printer.print_document("pickup", sample("pickup")).result(10).ok
        sim.wait_receipts(1)
        last = client.call("printer", "last_receipt")
        assert last["lines"][1] == "取件回执" and last["cut"] == "full" and Path(last["png"]).is_file()
        with pytest.raises(ControlError, match="paper state must be one of ok, low, out"):
            client.call("printer", "set_paper", state="empty")
        with pytest.raises(ControlError, match="after_lines must be a positive integer"):
            client.call("printer", "set_paper", state="out", after_lines=0)
        assert client.call("printer", "offline", on=True)["offline"] is True
        assert client.call("printer", "clear")["receipts"] == 0
    finally:
        hub._devices.clear()  # the fixture closes the simulator
        hub.close()


@pytest.fixture
def standalone(tmp_path):
    out, sock = tmp_path / "png", tmp_path / "ctl.sock"
    proc = subprocess.Popen([sys.executable, "-m", "hw_sim.escpos_printer", "--port", "0", "--out", str(out),
                             "--control", str(sock)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "ESC/POS printer simulator on tcp://" in line, line
        address = line.split("tcp://", 1)[1].split(",", 1)[0]
        yield address, out, ControlClient(sock), proc
    finally:
        proc.terminate()
        proc.wait(5)


def _kiosk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_standalone_simulator_and_cli(standalone, tmp_path):
    address, out, ctl, proc = standalone
    url = f"tcp://{address}"
    test = _kiosk("print", "test", "--printer", url, "--json")
    assert test.returncode == 0, test.stderr
    assert json.loads(test.stdout.strip().splitlines()[-1])["ok"] is True

    data = tmp_path / "app.json"
    data.write_text(_kiosk("print", "sample", "application", "--lang", "en").stdout, encoding="utf-8")
    ok = _kiosk("print", "receipt", "--printer", url, "--data", str(data), "--lang", "en")
    assert ok.returncode == 0 and "application receipt printed" in ok.stdout

    ctl.call("printer", "set_paper", state="out")
    refused = _kiosk("print", "receipt", "--printer", url, "--data", str(data), "--json")
    assert refused.returncode == 3
    assert "kiosk: printer not ready: paper out (show the receipt on screen instead" in refused.stderr
    doc = json.loads(refused.stdout.strip().splitlines()[-1])
    assert doc["code"] == "device_not_ready" and doc["fallback"]["qr"] == sample("application")["query_url"]

    status = _kiosk("print", "status", "--printer", url)
    assert status.returncode == 3 and "paper out" in status.stderr
    deadline = time.monotonic() + 5
    while len(list(out.glob("receipt-*.png"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in out.glob("*.png")) == ["receipt-0001.png", "receipt-0002.png"]
    assert [r["lines"][1] for r in ctl.call("printer", "receipts")] == ["打印机测试页", "Application Receipt"]

    # after `clear` the console still reports each new receipt, numbered like its PNG
    ctl.call("printer", "clear")
    ctl.call("printer", "set_paper", state="ok")
    assert _kiosk("print", "test", "--printer", url).returncode == 0
    while len(list(out.glob("receipt-*.png"))) < 3 and time.monotonic() < deadline + 5:
        time.sleep(0.05)
    time.sleep(0.6)  # the console loop reports every 0.2 s
    proc.terminate()
    console = proc.communicate(timeout=5)[0]
    assert "receipt 3: " in console and "receipt-0003.png" in console, console


def test_cli_bad_inputs(tmp_path, capsys, sim):
    url = f"tcp://{sim.address}"
    assert kiosk_main(["print", "receipt", "--printer", url, "--data", str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert kiosk_main(["print", "receipt", "--printer", url, "--data", str(bad)]) == 2
    assert "is not valid UTF-8 JSON" in capsys.readouterr().err
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(sample("pickup")), encoding="utf-8")
    assert kiosk_main(["print", "receipt", "--printer", url, "--data", str(wrong), "--kind", "application", "--json"]) == 2
    captured = capsys.readouterr()
    assert "application receipt data:" in captured.err and json.loads(captured.out)["code"] == "invalid_data"
    assert kiosk_main(["print", "test", "--printer", "lpt://x"]) == 2
    assert "no printer backend for lpt://" in capsys.readouterr().err
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")  # valid JSON, not an object: exit 2, no traceback
    assert kiosk_main(["print", "receipt", "--printer", url, "--data", str(listed)]) == 2
    assert "data must be an object, not list" in capsys.readouterr().err
    assert sim.receipts == []


def test_cli_json_names_characters_printed_as_box(tmp_path, capsys, sim):
    f = tmp_path / "rare.json"
    f.write_text(json.dumps(dict(sample("application"), applicant_name_masked="王*䶮"), ensure_ascii=False),
                 encoding="utf-8")
    assert kiosk_main(["print", "receipt", "--printer", f"tcp://{sim.address}", "--data", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["replaced"] == ["䶮"] and "□" in doc["detail"]


def test_cli_prints_pickup_receipt_in_process(tmp_path, capsys, sim):
    f = tmp_path / "pickup.json"
    f.write_text(json.dumps(sample("pickup"), ensure_ascii=False), encoding="utf-8")
    assert kiosk_main(["print", "receipt", "--printer", f"tcp://{sim.address}", "--data", str(f), "--kind", "pickup"]) == 0
    assert "pickup receipt printed" in capsys.readouterr().out
    assert sim.wait_receipts(1)[0].texts[1] == "取件回执"
