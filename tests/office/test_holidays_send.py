"""`kiosk-office holidays send`: next year's notice signed into each station's retained desired
settings through a real mosquitto; the station verifies and applies it and reports what it applied.
A bad notice file or key: exit 2 with the reason, nothing published."""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt
import pytest

from kiosk.services.fleet import signing, topics
from office.cli import main
from tests.office.conftest import PASSWORDS, STATIONS

NOTICE = """
[[notice]]
year = 2027
source = "test notice"
holidays = [ { from = 2027-02-05, to = 2027-02-13 }, 2027-01-01 ]
workdays = [ 2027-01-31 ]
"""


def _reported(broker, station):
    got: list[dict] = []
    seen = threading.Event()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="backoffice-watch", protocol=mqtt.MQTTv5)
    c.username_pw_set("backoffice", PASSWORDS["backoffice"])

    def on_message(cl, u, msg):
        got.append(json.loads(msg.payload))
        seen.set()

    c.on_message = on_message
    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(topics.reported(station), qos=1)
    c.connect("127.0.0.1", broker.port)
    c.loop_start()
    return c, got, seen


def test_the_notice_reaches_the_station_signed(broker, make_station, command_key, tmp_path, monkeypatch):
    applied: list[dict] = []
    st = make_station(broker, STATIONS[0])
    st.link.desired_handler = lambda settings: applied.append(settings) or settings
    signing.save_private(command_key, tmp_path / "key.pem")
    (tmp_path / "n.toml").write_text(NOTICE, encoding="utf-8")
    watch, got, seen = _reported(broker, STATIONS[0])
    monkeypatch.setenv("OFFICE_MQTT_PASSWORD", PASSWORDS["backoffice"])
    try:
        assert main(["holidays", "send", "--file", str(tmp_path / "n.toml"), "--station", STATIONS[0],
                     "--broker", broker.url, "--signing-key", str(tmp_path / "key.pem")]) == 0
        assert seen.wait(15), "the station reported nothing"
        report = got[-1]
        assert "errors" not in report, report
        notice = applied[0]["holidays"][0]
        assert notice["year"] == 2027 and "2027-02-09" in notice["holidays"] and notice["workdays"] == ["2027-01-31"]
    finally:
        watch.disconnect()
        watch.loop_stop()


@pytest.mark.parametrize("text, says", [
    ("[[notice]]\nyear = 2027\nholidays = [2027-02-01]\nworkdays = [2027-02-02]", "not a Saturday or Sunday"),
    ("[[notice]\n", "not valid TOML"),
    ("# nothing\n", "no [[notice]]"),
])
def test_a_bad_notice_file_is_refused(tmp_path, command_key, capsys, text, says):
    signing.save_private(command_key, tmp_path / "key.pem")
    (tmp_path / "n.toml").write_text(text, encoding="utf-8")
    code = main(["holidays", "send", "--file", str(tmp_path / "n.toml"), "--station", STATIONS[0],
                 "--broker", "mqtt://127.0.0.1:1", "--signing-key", str(tmp_path / "key.pem")])
    assert code == 2 and says in capsys.readouterr().err


def test_a_missing_key_is_refused(tmp_path, capsys):
    (tmp_path / "n.toml").write_text(NOTICE, encoding="utf-8")
    assert main(["holidays", "send", "--file", str(tmp_path / "n.toml"), "--station", STATIONS[0],
                 "--broker", "mqtt://127.0.0.1:1", "--signing-key", str(tmp_path / "none.pem")]) == 2
    assert "not a readable Ed25519 private key" in capsys.readouterr().err
