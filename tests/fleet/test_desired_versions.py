"""Security finding 4: the retained `desired` document is applied once per version; an older or
equal version (a replay after reconnect or restart, or a rollback to an older signed document) is
refused and reported, never applied over later changes."""

from __future__ import annotations

import time

from tests.fleet.conftest import STATIONS


def wait(pred, timeout: float = 5.0) -> bool:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_older_or_equal_desired_versions_are_refused_across_restart(broker, make_station, make_backoffice,
                                                                    tmp_path) -> None:  # noqa: ANN001
    db = tmp_path / "station.db"
    bo = make_backoffice(broker)
    st = make_station(broker, db=db)
    applied: list[dict] = []
    st.link.desired_handler = lambda s: (applied.append(s), s)[1]
    assert st.link.wait_connected(5)
    bo.set_desired(st.kiosk_id, 5, {"maintenance": False})
    assert wait(lambda: applied == [{"maintenance": False}])
    bo.set_desired(st.kiosk_id, 4, {"maintenance": True})  # an older signed document: a rollback
    assert wait(lambda: "not newer" in " ".join((bo.track(st.kiosk_id).reported or {}).get("errors", [])))
    assert applied == [{"maintenance": False}]
    bo.set_desired(st.kiosk_id, 5, {"maintenance": False})
    time.sleep(0)  # (the refusal is what we wait for)
    assert wait(lambda: "version 5" in " ".join((bo.track(st.kiosk_id).reported or {}).get("errors", [])))
    st.close()
    # restart on the same database: the retained version 5 arrives again and is not re-applied
    st2 = make_station(broker, STATIONS[0], db=db)
    again: list[dict] = []
    st2.link.desired_handler = lambda s: (again.append(s), s)[1]
    assert st2.link.wait_connected(5)
    bo.set_desired(st2.kiosk_id, 6, {"maintenance": True})
    assert wait(lambda: again == [{"maintenance": True}]), again
