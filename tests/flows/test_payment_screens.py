"""The layout sweep's payment screens (tests/ui/cases.py `payment_views`) are the ones the flow
builds: same texts, buttons, picture and data keys, so the screenshots show what a citizen gets.
And every sample view of the sweep renders in both languages without raw `{placeholders}`."""

from __future__ import annotations

import re

import pytest

from kiosk.flows.texts import render
from tests.flows.test_payment import _show, _to_pay
from tests.ui.cases import payment_views, sample_views


def _shape(vm):
    return (vm.screen, vm.illustration, [b.key for b in vm.body], [(a.id, a.label.key, a.kind) for a in vm.actions],
            sorted(k for k in vm.data if k != "timeout_in"), vm.step)


def _sample(state: str, refusal: str | None = None):
    return next(v for v in payment_views() if v.state == state and v.data.get("refusal") == refusal)


def test_the_sweeps_pay_screen_is_the_flows(world):
    f = _to_pay(world)
    vm = f.view()
    assert _shape(vm) == _shape(_sample("pay"))
    assert [a.id for a in vm.actions].count("cancel_payment") == 1 and "cancel" not in [a.id for a in vm.actions], \
        "one way to cancel on the payment screen"


@pytest.mark.parametrize("refusal", ["code_used", "code_invalid", "declined"])
def test_the_sweeps_refusal_screens_are_the_flows(world, refusal):
    f = _to_pay(world)
    code = world.backoffice.cmd_payment_code()
    if refusal == "code_used":
        world.backoffice.cmd_mark_code_used(code=code)
    elif refusal == "declined":
        world.backoffice.cmd_decline_next_code()
    if refusal == "code_invalid":
        # only a real provider says this (the station and the double parse the code first)
        f._code_refused("code_invalid")
    else:
        _show(world, f, code)
    assert f.state == "pay_refused", f.history
    assert _shape(f.view()) == _shape(_sample("pay_refused", refusal))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sample_view_renders_without_raw_braces(lang):
    for vm in sample_views():
        for text in (vm.title, *vm.body, *(a.label for a in vm.actions), vm.error):
            out = render(text, lang)
            assert not re.search(r"[{}]", out), f"{vm.flow}.{vm.state}: {text.key} -> {out!r}"
