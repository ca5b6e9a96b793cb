"""Security finding 15: a visit that ends (idle timeout) while a door stands open, or was opened
and never confirmed, flags the compartment for staff; it never just disappears."""

from __future__ import annotations

from tests.flows.test_collect import deposited


def _time_out(world, f) -> None:  # noqa: ANN001
    world.clock.advance(3600)
    f.tick()
    assert f.outcome == "timeout", (f.state, f.outcome)


def test_timeout_while_taking_flags_the_compartment(world) -> None:  # noqa: ANN001
    _case, code = deposited(world, comp="A03")
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    world.pump(f)
    assert f.state == "take" and world.cabinet.comps["A03"]["door"] == "open"
    _time_out(world, f)  # the citizen walked away with the door open
    assert "A03" in world.cabinet.flags and "open" in world.cabinet.flags["A03"]


def test_timeout_before_confirming_flags_the_compartment(world) -> None:  # noqa: ANN001
    _case, code = deposited(world, comp="A02")
    f = world.start("collect")
    f.act("code")
    f.act("code", code=code)
    world.pump(f)
    world.cabinet.close_door("A02")
    f.tick()
    assert f.state == "confirm"
    _time_out(world, f)  # door shut, never said whether it was taken
    assert "A02" in world.cabinet.flags and "confirm" in world.cabinet.flags["A02"]


def test_timeout_during_a_dropoff_with_the_door_open_flags_it(world) -> None:  # noqa: ANN001
    f, comp = _to_dropoff(world)
    assert f.state == "dropoff_close" and world.cabinet.comps[comp]["door"] == "open"
    _time_out(world, f)
    assert comp in world.cabinet.flags


def _to_dropoff(world):  # noqa: ANN001, ANN202 - the RE-003 path of test_apply, without its checks
    from tests.flows.test_apply import _to_identify

    f = _to_identify(world, "RE-003")
    world.identify(f)
    f.act("decline")
    for _ in range(6):
        if f.state != "scan":
            break
        world.scanner.page()
        world.pump(f)
        world.wait_services(f)
    world.clock.advance(6)
    f.tick()
    for _ in range(3):
        world.wait_services(f)
        world.pump(f)
    assert f.state == "dropoff_offer", f.history
    f.act("dropoff")
    world.pump(f)
    return f, f.view().data["compartment"]
