"""Security finding 17: a station credential cannot harvest applicants' reference photos. A request
names the visit (session) in which the card was read; the back office answers one applicant per
visit, a bounded number per station per hour, and refuses requests without a visit."""

from __future__ import annotations

import pytest

from hw_sim.backoffice import SimBackOffice
from hw_sim.identities import get_identity
from kiosk.services.backoffice import Applicant, BackofficeError
from kiosk.services.fleet.backoffice_mqtt import MqttBackOffice


def _applicant(key: str) -> Applicant:
    ident = get_identity(key)
    return Applicant(ident.id_number, ident.name_zh, ident.id_number[:4] + "*" * 10 + ident.id_number[-4:])


@pytest.fixture
def mbo(broker, make_station, make_backoffice, command_key):  # noqa: ANN001, ANN201
    make_backoffice(broker, delegate=SimBackOffice(approve_after_s=0), photos_per_hour=5)
    st = make_station(broker)
    assert st.link.wait_connected(5)
    return MqttBackOffice(st.link, st.outbox, timeout_s=3.0, answer_key=command_key.public_key())


def test_one_applicant_per_visit(mbo) -> None:  # noqa: ANN001
    assert mbo.reference_photo(_applicant("obama"), session="visit-1")
    assert mbo.reference_photo(_applicant("obama"), session="visit-1")  # the same person again: fine
    with pytest.raises(BackofficeError) as exc:
        mbo.reference_photo(_applicant("biden"), session="visit-1")  # another person in the same visit
    assert exc.value.code == "rejected" and "visit" in exc.value.detail


def test_a_request_without_a_visit_is_refused(mbo) -> None:  # noqa: ANN001
    with pytest.raises(BackofficeError) as exc:
        mbo.reference_photo(_applicant("obama"))
    assert exc.value.code == "rejected"


def test_requests_per_station_are_bounded(mbo) -> None:  # noqa: ANN001
    for n in range(5):
        mbo.reference_photo(_applicant("obama"), session=f"v{n}")
    with pytest.raises(BackofficeError) as exc:
        mbo.reference_photo(_applicant("obama"), session="v-next")
    assert exc.value.code == "rejected" and "per hour" in exc.value.detail
