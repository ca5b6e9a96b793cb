"""The office's register of reference photos over the real station link: a photo from
`--reference-photos`, signed with the office's key and verified by the station, guarded (one
applicant per visit); and bad register input."""

from __future__ import annotations

import pytest

from kiosk.services.backoffice import Applicant, BackofficeError
from kiosk.services.fleet import signing
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice
from office.db import create_engine
from office.reference_photos import PhotoRegister
from office.schema import metadata
from tests.office.conftest import STATIONS

ALICE, BOB = "110101199003070021", "11010119900307003X"


def _who(id_number: str) -> Applicant:
    return Applicant(id_number, "张三", id_number[:4] + "*" * 10 + id_number[-4:])


@pytest.fixture
def registers(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / f"{ALICE}.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    (photos / f"{BOB}.jpg").write_bytes(b"\xff\xd8\xff\xe0 another")
    return PhotoRegister(photos)


def test_photos_reach_the_station_signed_and_guarded(broker, make_station, office_mqtt, command_key,
                                                                tmp_path, registers):
    engine = create_engine(f"sqlite:///{tmp_path}/office.db")
    metadata.create_all(engine)
    office_mqtt(broker, engine, signing_key=command_key, photos=registers)
    st = make_station(broker, STATIONS[0])
    assert st.link.wait_connected(10)
    mbo = MqttBackOffice(st.link, st.outbox, timeout_s=10, answer_key=command_key.public_key())
    assert mbo.reference_photo(_who(ALICE), session="visit-1") == b"\xff\xd8\xff\xe0 a photo"  # signature verified
    with pytest.raises(BackofficeError) as err:
        mbo.reference_photo(_who(BOB), session="visit-1")  # another person in the same visit
    assert err.value.code == "rejected" and "another applicant" in err.value.detail
    with pytest.raises(BackofficeError, match="names no visit"):
        mbo.reference_photo(_who(ALICE), session="")
    # an answer signed with another key is not trusted
    other = MqttBackOffice(st.link, st.outbox, timeout_s=10, answer_key=signing.generate().public_key())
    with pytest.raises(BackofficeError, match="signature does not verify"):
        other.reference_photo(_who(ALICE), session="visit-2")


def test_register_names_are_checked_and_a_missing_directory_is_a_clear_error(tmp_path, registers):
    photos = registers
    assert photos.photo("../" + ALICE) is None and photos.photo("") is None
    assert photos.photo(ALICE.lower()) == b"\xff\xd8\xff\xe0 a photo"  # x/X: the check digit's case
    with pytest.raises(ValueError, match="--reference-photos .*not a directory of <ID number>.jpg"):
        PhotoRegister(tmp_path / "nowhere")
