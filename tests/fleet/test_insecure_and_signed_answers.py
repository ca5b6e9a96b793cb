"""Security finding 10: plain `mqtt://` only when the config says `allow_insecure = true` (tests),
and back-office answers that decide identity (the reference photo for the face match) are signed
by the back office's key and verified by the station."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hw_sim.backoffice import SimBackOffice
from hw_sim.identities import get_identity
from kiosk.config import ConfigError, parse_config
from kiosk.services.backoffice import Applicant, BackofficeError
from kiosk.services.fleet import signing
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from tests.fleet.conftest import PASSWORDS

ROOT = Path(__file__).resolve().parents[2]


def _config(fleet: dict) -> dict:
    data = tomllib.loads((ROOT / "config" / "sim.toml").read_text("utf-8"))
    data["fleet"] = fleet
    return data


def test_plain_mqtt_needs_allow_insecure() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(_config({"broker": "mqtt://bo.example:1883"}), "station.toml")
    assert "fleet" in str(exc.value) and "allow_insecure" in str(exc.value) and "mqtts://" in str(exc.value)
    assert parse_config(_config({"broker": "mqtt://127.0.0.1:1883", "allow_insecure": True})).fleet.allow_insecure
    assert parse_config(_config({"broker": "mqtts://bo.example:8883"})).fleet.broker.startswith("mqtts")


def _applicant() -> Applicant:
    ident = get_identity("obama")
    return Applicant(ident.id_number, ident.name_zh, "1101**********0134")


def test_reference_photo_answers_are_verified(broker, make_station, make_backoffice, command_key, tmp_path) -> None:
    delegate = SimBackOffice(approve_after_s=0)
    make_backoffice(broker, delegate=delegate)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    mbo = MqttBackOffice(st.link, st.outbox, timeout_s=3.0, answer_key=command_key.public_key())
    photo = mbo.reference_photo(_applicant(), session="visit-1")
    assert photo and photo[:2] == b"\xff\xd8"


def test_a_reference_photo_from_an_impostor_is_refused(broker, make_station, command_key, tmp_path) -> None:
    from hw_sim.backoffice_mqtt import MqttBackOfficeSim

    impostor = MqttBackOfficeSim(broker.url, PASSWORDS["backoffice"], db_path=str(tmp_path / "evil.db"),
                                 signing_key=signing.generate(), delegate=SimBackOffice(approve_after_s=0))
    impostor.start()
    try:
        st = make_station(broker)
        assert st.link.wait_connected(5)
        mbo = MqttBackOffice(st.link, st.outbox, timeout_s=3.0, answer_key=command_key.public_key())
        with pytest.raises(BackofficeError) as exc:
            mbo.reference_photo(_applicant(), session="visit-1")
        assert exc.value.code == "invalid" and "signature" in exc.value.detail
    finally:
        impostor.stop()
