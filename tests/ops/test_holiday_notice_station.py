"""A station and its holiday notices: the back office's signed `desired` settings carry next year's
notice (validated by the contract, applied through the command target, audited, followed by the
case store at once); without it, from 1 December the station tells the back office once a day."""

from __future__ import annotations

import pytest

from kiosk.config import load_config
from kiosk.services.fleet import contract, signing
from kiosk.services.fleet.setup import desired_via_target
from tests.fleet_station.conftest import station_toml
from tests.services.test_workdays import NOTICE_2027

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def station(tmp_path):
    from hw_sim.station.instant import start_instant_station

    root = tmp_path / "st"
    root.mkdir()
    (root / "station.toml").write_text(station_toml("", signing.public_hex(signing.generate()), mode="in-process"))
    station, _, clock = start_instant_station(load_config(root / "station.toml"), root)
    try:
        yield station, clock
    finally:
        station.close()


def _events(station, type_):
    return [e for e in station.outbox.pending(0, 1000) if e.type == type_]


def test_missing_notice_reported_once_a_day_until_the_desired_settings_bring_it(station):
    st, clock = station
    cases = st.services.cases
    today = cases.today()
    if (today.month, today.day) < (12, 1):  # the test must run in December: move the station's clock there
        clock.advance((today.replace(month=12, day=2) - today).days * 86400)
    year = cases.today().year + 1
    assert st.check_calendar() == year and st.check_calendar() == year
    assert [e.data for e in _events(st, "station.calendar_notice_missing")] == [{"year": year}]  # once that day
    assert cases.calendar_health()["missing_notice"] == year  # in the retained health message too

    notice = {**NOTICE_2027, "year": year,
              "holidays": [f"{year}-01-01"], "workdays": []}
    doc = {"kiosk_id": st.config.station.id, "version": 3, "settings": {"holidays": [notice]}}
    doc["sig"] = signing.sign_document(doc, signing.generate())
    contract.validate("desired", doc)  # the contract carries notices
    applied = desired_via_target(st.fleet_target)(doc["settings"])
    assert applied == {"holidays": [year]}
    assert st.check_calendar() is None
    assert not cases.calendar.is_working_day(cases.today().replace(year=year, month=1, day=1))
    audit = [r for r in st.audit.records(0, 10000) if r.action == "calendar.notices"]
    assert [(r.actor, r.subject) for r in audit] == [("backoffice:desired", str(year))]


def test_a_bad_notice_in_the_desired_settings_fails_and_changes_nothing(station):
    from kiosk.services.fleet.commands import CommandFailed

    st, _ = station
    bad = {**NOTICE_2027, "workdays": ["2027-02-01"]}  # a Monday cannot be a make-up working day
    with pytest.raises(CommandFailed, match="not a Saturday or Sunday"):
        desired_via_target(st.fleet_target)({"holidays": [bad]})
    assert 2027 not in st.services.cases.calendar.known_years
    with pytest.raises(contract.ContractError):
        contract.validate("desired", {"kiosk_id": st.config.station.id, "version": 4, "sig": "A" * 86,
                                      "settings": {"holidays": [{"year": 2027, "holidays": ["1 Feb"]}]}})
