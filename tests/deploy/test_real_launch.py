"""`kiosk run` on a REAL station config (config/examples/station.toml with this machine's absent
devices): it refuses to start without a display (exit 2, says what to do), and with one it starts
on whatever is there — every absent device degrades its tasks, an unreachable broker leaves events
in the outbox — says which tasks are unavailable, speaks sd_notify and stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.services.fleet import signing
from kiosk.services.keyed_hash import create_key
from tests.deploy.notify_listener import NotifyListener
from tests.deploy.test_service_e2e import _kivy_env, xvfb  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parents[2]


def real_station(root: Path) -> Path:
    """The example config as a technician would leave it on a machine whose devices are all absent."""
    text = (ROOT / "config" / "examples" / "station.toml").read_text(encoding="utf-8")
    text = text.replace('broker = "mqtts://fleet.example.gov.cn:8883"',
                        'broker = "mqtt://127.0.0.1:1"\nallow_insecure = true  # the test: nothing listens there')
    text = re.sub(r'(?m)^ca_file = .*\n', "", text)
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "fleet.pw").write_text("secret\n")
    (root / "etc" / "backoffice-command.pub").write_text(signing.public_hex(signing.generate()) + "\n")
    create_key(root / "var" / "hash.key")  # what `kiosk setup` does on a first install
    path = root / "etc" / "station.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_display_a_real_station_says_so_and_exits_2(tmp_path):
    cfg = real_station(tmp_path / "st")
    env = _kivy_env(tmp_path, "", 0)
    env.pop("DISPLAY", None)
    env.pop("NOTIFY_SOCKET", None)
    r = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--root", str(tmp_path / "st")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "no display" in r.stderr and "$DISPLAY" in r.stderr and "kiosk-display" in r.stderr
    assert not (tmp_path / "st" / "var" / "station.db").exists()  # nothing was opened


def test_without_its_key_a_real_station_refuses_and_says_how_to_restore(tmp_path, xvfb):  # noqa: F811
    cfg = real_station(tmp_path / "st")
    (tmp_path / "st" / "var" / "hash.key").unlink()
    env = _kivy_env(tmp_path, "", 0)
    env["DISPLAY"] = xvfb
    env.pop("NOTIFY_SOCKET", None)
    r = subprocess.run([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--root", str(tmp_path / "st")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 78 and "kiosk setup" in r.stderr, r.stderr  # EX_CONFIG: systemd does not retry it


@pytest.mark.ui
@pytest.mark.slow
def test_a_real_station_starts_on_absent_devices_degraded_and_stops_on_sigterm(tmp_path, xvfb):  # noqa: F811
    root = tmp_path / "st"
    cfg = real_station(root)
    listener = NotifyListener(tmp_path / "notify.sock")
    env = _kivy_env(tmp_path, listener.env_value, 2_000_000)
    env["DISPLAY"] = xvfb
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--config", str(cfg), "--root", str(root)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = listener.wait_for(lambda f: f.get("READY") == "1", 90, "READY=1")
        assert ready.fields.get("STATUS") == "station hall-3-east up"
        listener.wait_for(lambda f: f.get("WATCHDOG") == "1", 20, "WATCHDOG=1")
        out = log_path.read_text()
        assert "station hall-3-east up" in out and "unavailable:" in out
        # the key file holds what `kiosk fleet keygen` prints: the link is built and keeps trying the broker
        assert "fleet: joining mqtt://127.0.0.1:1" in out and "fleet link not started" not in out, out[-2000:]
        for task in ("apply", "collect", "deposit"):
            assert re.search(rf"\b{task} \(", out), (task, out[-2000:])
        proc.send_signal(signal.SIGTERM)
        listener.wait_for(lambda f: f.get("STOPPING") == "1", 10, "STOPPING=1")
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        listener.close()
    assert (root / "var" / "station.db").exists()
