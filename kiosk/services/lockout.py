"""Escalating lock-outs after wrong PINs, kept in the store so a restart does not clear them.

`MAX_FAILURES` wrong PINs in a row start a lock-out; each further lock-out of the same subject
lasts longer (`STEPS_S`); the `MAX_LOCKOUTS`-th one blocks the subject until an administrator
unlocks it (a stolen card with a 6-digit PIN gets 25 guesses in all, instead of 5 every 5 minutes).
A good PIN resets the counters.

Time: the lock-out is stored as (locked_at, seconds) on the wall clock, so it survives restart,
and also kept as a monotonic deadline while the process runs, so a forward clock step cannot end
it early; a backward step (locked_at in the future) keeps the subject locked and re-anchors the
lock-out at the new time, serving its full length (security findings 3 and 13).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_FAILURES = 5
STEPS_S = (300.0, 1800.0, 4 * 3600.0, 24 * 3600.0)
MAX_LOCKOUTS = len(STEPS_S) + 1


@dataclass(frozen=True)
class LockState:
    failures: int = 0
    lockouts: int = 0
    locked_at: str | None = None  # ISO wall time the current lock-out started
    locked_s: float = 0.0
    blocked: bool = False

    @property
    def locked_until(self) -> str | None:
        if self.locked_at is None:
            return None
        return (datetime.fromisoformat(self.locked_at) + timedelta(seconds=self.locked_s)).isoformat()


@dataclass(frozen=True)
class Verdict:
    locked: bool
    state: LockState  # the state to store (re-anchored after a backward clock step)
    changed: bool = False


def check(state: LockState, now: datetime, mono_deadline: float | None, mono_now: float) -> Verdict:
    """Is the subject locked now? (Before the PIN is even looked at.)"""
    if state.blocked:
        return Verdict(True, state)
    if mono_deadline is not None:  # this process started the lock-out: its monotonic clock decides
        return Verdict(mono_now < mono_deadline, state)
    if state.locked_at is None:
        return Verdict(False, state)
    at = datetime.fromisoformat(state.locked_at)
    if now < at:  # the clock went back: stay locked, count the lock-out from now
        return Verdict(True, replace(state, locked_at=now.isoformat()), changed=True)
    if now < at + timedelta(seconds=state.locked_s):
        return Verdict(True, state)  # after a restart: the wall clock is all there is
    return Verdict(False, state)


def after_failure(state: LockState, now: datetime) -> tuple[LockState, str]:
    """The state after one more wrong PIN, and what happened: wrong | locked | blocked."""
    failures = state.failures + 1
    if failures < MAX_FAILURES:
        return replace(state, failures=failures), "wrong"
    lockouts = state.lockouts + 1
    if lockouts >= MAX_LOCKOUTS:
        return LockState(0, lockouts, None, 0.0, blocked=True), "blocked"
    return LockState(0, lockouts, now.isoformat(), STEPS_S[lockouts - 1], False), "locked"


def attempts_left(state: LockState) -> int:
    return 0 if state.blocked else MAX_FAILURES - state.failures
