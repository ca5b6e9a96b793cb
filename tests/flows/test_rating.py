"""好差评 after every citizen service: apply, print, query and collect each end with the same
rating step (five levels, one touch each), skippable in one touch; a given rating reaches the
back office (the simulated office in process) marked with the service and the case; a skip sends
nothing; the rating step cannot be cancelled into a `canceled` outcome."""

from __future__ import annotations

import pytest

from kiosk.flows.apply import receipt_qr
from kiosk.flows.rating import LEVELS
from kiosk.flows.texts import render
from tests.flows.test_collect import deposited
from tests.flows.test_query_staff import _submitted_case


def _apply_done(world, code: str):
    f = world.start("apply", matter_code=code)
    assert f.act("start")
    world.identify(f)
    assert f.act("consent")
    world.wait_services(f)
    if code == "PS-002":
        for _ in range(3):
            world.scanner.page()
            world.pump(f)
    world.wait_services(f)
    world.wait_services(f)
    world.pump(f)
    assert f.state == "done", (f.state, f.outcome, f.history)
    return f


def _query_done(world):
    case_no = _submitted_case(world)
    f = world.start("query")
    assert f.act("scan_receipt")
    world.scanner.code(receipt_qr(case_no, world.services.hasher))
    world.pump(f)
    world.wait_services(f)
    assert f.state == "timeline", f.history
    return f, case_no


def _collect_confirmed(world):
    case_no, _ = deposited(world)
    f = world.start("collect")
    assert f.act("identify")
    world.identify(f)
    world.wait_services(f)  # collect asks the back office for the person's cases first ("finding")
    world.pump(f)
    world.cabinet.close_door("A01")
    f.tick()
    assert f.act("taken")
    return f, case_no


def _ratings(world):
    world.services.runner.call(lambda: None)  # the rating call ran on the service runner
    return list(world.backoffice.ratings)


@pytest.mark.parametrize("service", ["apply", "print", "query", "collect"])
def test_each_service_offers_the_rating_and_skip_is_one_touch(world, service):
    if service in ("apply", "print"):
        f = _apply_done(world, "PS-002" if service == "apply" else "SI-001")
        assert f.act("finish")
    elif service == "query":
        f, _ = _query_done(world)
        assert f.act("finish")
    else:
        f, _ = _collect_confirmed(world)
    vm = f.view()
    assert f.state == "rating" and vm.screen == "rating" and vm.data["service"] == service
    assert vm.data["levels"] == [5, 4, 3, 2, 1]
    assert [render(vm.title, "zh"), render(vm.title, "en")] == ["服务评价（好差评）", "Rate this service"]
    assert "cancel" not in f.actions() and "skip" in f.actions()
    assert f.act("skip")  # one touch
    world.pump(f)
    if service == "collect":
        assert f.state == "done" and f.act("finish")
    assert f.outcome == "completed"
    assert _ratings(world) == []  # nothing sent for a skip
    assert any(r.action == "rating.skipped" and r.subject == service for r in world.services.audit.records())


@pytest.mark.parametrize("service", ["apply", "print", "query", "collect"])
def test_a_given_rating_reaches_the_back_office(world, service):
    if service in ("apply", "print"):
        f = _apply_done(world, "PS-002" if service == "apply" else "SI-001")
        case_no = f.session.visit.case_no
        assert f.act("finish")
    elif service == "query":
        f, case_no = _query_done(world)
        assert f.act("finish")
    else:
        f, case_no = _collect_confirmed(world)
    assert f.act("rate", score=2)
    (got,) = _ratings(world)
    assert (got.case_no, got.score, got.service) == (case_no, 2, service)
    assert got.at


def test_a_rating_outside_the_scale_is_refused_and_the_step_stays(world):
    f, _ = _query_done(world)
    assert f.act("finish")
    for bad in (0, 6, "5", True, None):
        assert f.act("rate", score=bad)
        assert f.state == "rating" and f.error.key == "rating.pick"
    assert _ratings(world) == []
    assert set(LEVELS) == {1, 2, 3, 4, 5}
