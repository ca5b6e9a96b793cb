"""Command expiry across wall-clock steps (security finding 13): a station whose clock jumps to
2000-01-01 or 8 days ahead neither runs expired commands nor refuses every fresh one; an accepted
command not started before its monotonic deadline is not run; each step is audited."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from kiosk.core.clock import FakeClock
from kiosk.services.audit import AuditLog
from kiosk.services.fleet import contract, signing
from kiosk.services.fleet.commands import CommandProcessor
from kiosk.services.store import Store
from tests.fleet.conftest import STATIONS, RecordingTarget

TRUE_START = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
RTC_LOST = datetime(2000, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def make(tmp_path, command_key):
    def build(clock: FakeClock, db: str = "p.db") -> CommandProcessor:
        store = Store(tmp_path / db)
        p = CommandProcessor(store, STATIONS[0], command_key.public_key(), RecordingTarget(), AuditLog(store, clock),
                             clock)
        p.rec = p.target
        return p
    return build


class BackOffice:
    """Signs commands by the true time (the back office's clock is right)."""

    def __init__(self, key, clock: FakeClock) -> None:
        self.key, self.clock, self.n, self.true_offset = key, clock, 0, 0.0

    def now(self) -> int:
        return int(self.clock.monotonic() + self.true_offset)

    def cmd(self, age_s: int = 0, ttl_s: int = 60) -> bytes:
        self.n += 1
        issued = self.now() - age_s
        c = {"cmd_id": f"0193a0b4-2c1e-7f00-9a1b-{self.n:012d}", "kiosk_id": STATIONS[0], "name": "set_maintenance",
             "operator": "ops:t", "issued_at": issued, "expires_at": issued + ttl_s, "args": {"on": True}}
        c["sig"] = signing.sign(c, self.key)
        return json.dumps(c).encode()


def _bo(command_key, clock: FakeClock) -> BackOffice:
    bo = BackOffice(command_key, clock)
    bo.true_offset = clock.now().timestamp() - clock.monotonic()
    return bo


def _status(p: CommandProcessor, payload: bytes) -> tuple[str, str]:
    d = p.receive("set_maintenance", payload)
    contract.validate("result", d.response)
    if d.job is not None:
        p.execute(d.job)
    return d.response["status"], d.response.get("reason", "")


def _actions(p: CommandProcessor) -> list[str]:
    return [r.action for r in p.audit.records() if r.action.startswith("clock.")]


@pytest.mark.parametrize("step", [RTC_LOST, "plus_8_days"])
def test_after_a_step_fresh_commands_run_and_expired_ones_do_not(make, command_key, step):
    clock = FakeClock(TRUE_START)
    p, bo = make(clock), _bo(command_key, clock)
    assert _status(p, bo.cmd()) == ("accepted", "")
    clock.advance(30)
    clock.step(to=step) if isinstance(step, datetime) else clock.step(8 * 86400)
    for _ in range(3):  # not just once: every fresh command keeps working while the clock is wrong
        clock.advance(120)
        assert _status(p, bo.cmd()) == ("accepted", "")
        assert _status(p, bo.cmd(age_s=600, ttl_s=60))[1] == "expired"  # really expired 9 minutes ago
    assert len(p.rec.calls) == 4
    assert _actions(p) == ["clock.step"]


def test_ntp_setting_the_clock_right_makes_the_wall_clock_trusted_again(make, command_key):
    clock = FakeClock(TRUE_START)
    p, bo = make(clock), _bo(command_key, clock)
    clock.step(to=RTC_LOST)
    assert _status(p, bo.cmd()) == ("accepted", "")
    assert not p.command_clock.trusted
    clock.step(to=datetime.fromtimestamp(bo.now(), timezone.utc))  # NTP
    assert _status(p, bo.cmd()) == ("accepted", "")
    assert p.command_clock.trusted
    assert _actions(p) == ["clock.step", "clock.trusted"]
    # trusted again: a command from the future is refused as before
    assert _status(p, bo.cmd(age_s=-3600))[1] == "not_yet_valid"


def test_an_accepted_command_not_started_before_its_deadline_is_not_run(make, command_key):
    clock = FakeClock(TRUE_START)
    p, bo = make(clock), _bo(command_key, clock)
    d = p.receive("set_maintenance", bo.cmd(ttl_s=60))
    assert d.job is not None
    clock.step(to=RTC_LOST)  # the wall clock can no longer say it expired
    clock.advance(61)  # the worker was busy for a minute
    res = p.execute(d.job)
    assert res["status"] == "expired" and res["reason"] == "expired" and "not run" in res["detail"]
    contract.validate("result", res)
    assert p.rec.calls == []


def test_a_station_starting_with_its_clock_at_2000_refuses_what_expired_before_the_newest_command(make,
                                                                                                  command_key):
    clock = FakeClock(TRUE_START)
    p, bo = make(clock), _bo(command_key, clock)
    old = bo.cmd(ttl_s=60)  # captured by someone, replayed later
    clock.advance(3600)
    assert _status(p, bo.cmd()) == ("accepted", "")
    p.store.close()
    # restart with an RTC that lost the date: nothing from this run to carry on, only the store
    clock2 = FakeClock(RTC_LOST)
    p2 = make(clock2)
    assert not p2.command_clock.trusted
    assert _status(p2, old)[1] == "expired"
    bo.true_offset = TRUE_START.timestamp() + 3600 + 10 - clock2.monotonic()
    assert _status(p2, bo.cmd()) == ("accepted", "")
