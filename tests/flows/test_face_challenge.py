"""The face check's prompt names the one action the liveness challenge wants (请眨眼 / 请向左转头 /
请向右转头, English likewise), keeps it while other guidance comes and goes, and forgets it on retry."""

from __future__ import annotations

import pytest

from kiosk.devices.base import DeviceEvent
from kiosk.devices.face.liveness import CHALLENGES
from kiosk.flows.identify import FACE_CHALLENGES
from kiosk.flows.texts import render
from tests.flows import fakes

WANTED = {"blink": ("请眨眼", "Please blink"), "turn_left": ("请向左转头", "Turn your head to the left"),
          "turn_right": ("请向右转头", "Turn your head to the right")}


def test_the_flow_knows_every_challenge_the_verifier_gives():
    assert set(FACE_CHALLENGES) == set(CHALLENGES) == set(WANTED)


@pytest.mark.parametrize("kind", sorted(WANTED))
def test_prompt_names_exactly_the_one_action_wanted(world, kind):
    f = world.start("apply", matter_code="SI-001")
    assert f.act("start")
    world.reader.insert(fakes.identity("obama"))
    world.pump(f)
    assert f.state == "identify_face"
    assert f.handle(DeviceEvent("face", "challenge", {"challenge": kind}))
    assert f.handle(DeviceEvent("face", "guidance", {"key": "face.hold_still"}))
    vm = f.view()
    assert vm.data["challenge"] == kind
    for lang, i in (("zh", 0), ("en", 1)):
        said = " ".join(render(b, lang) for b in vm.body)
        assert WANTED[kind][i] in said, said
        others = [w[i] for k, w in WANTED.items() if k != kind]
        assert not any(o in said for o in others), said
    assert "或" not in render(vm.body[1], "zh")  # one action, not a choice
    assert f.handle(DeviceEvent("face", "guidance", {"key": f"face.{kind}"}))  # the same words once, not twice
    assert [b.key for b in f.view().body].count(f"identify.face.guidance.{kind}") == 1
    assert world.face.no_match()
    world.pump(f)
    assert f.state == "identify_face"  # a second check starts: its own challenge will be named
    assert f.view().data["challenge"] is None
