"""Stateful model test (hypothesis RuleBasedStateMachine) over the cabinet service, pickup codes and
cases, with door events delivered late, twice, out of order, for unknown locks, and releases whose
reply is lost (the door opened, the station heard nothing). After every step:
- every door pulse the boards saw was journaled first (an intent per pulse, none without);
- an authorisation opens a door at most once, ever;
- loaded compartments hold a case, empty ones none; nothing is left unfinished;
- a release that did not confirm leaves the compartment flagged or waiting for its confirmation."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.core.clock import FakeClock
from kiosk.devices.base import Command, Completion, DeviceEvent
from kiosk.services.audit import AuditLog
from kiosk.services.cabinet import AuthorisationUsed, CabinetError, CabinetService
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store
from tests.cabinet.conftest import small_cabinet_config
from tests.crash.workload import MemoryCabinet

EVENT_KINDS = ["door_opened", "door_closed", "uncommanded_open", "not_opened", "door_left_open", "door_unknown",
               "junk", ""]


class LossyCabinet(MemoryCabinet):
    """Counts pulses; a release may lose its reply (the door opens, the answer never comes)."""

    def __init__(self) -> None:
        super().__init__()
        self.pulses: Counter[tuple[int, int]] = Counter()
        self.lose_next = False

    def release(self, board: int, lock: int) -> Command[str]:
        self.pulses[(board, lock)] += 1
        if self.lose_next:
            self.lose_next = False
            self.state[(board, lock)] = "open"
            cmd: Command[str] = Command("release")
            cmd.complete(Completion.success("no_reply"))
            return cmd
        return super().release(board, lock)


class CabinetModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.store = Store(":memory:")
        self.cab = LossyCabinet()
        self.audit = AuditLog(self.store, self.clock)
        self.svc = CabinetService(self.store, self.cab, small_cabinet_config(url="serial:///dev/null?protocol=8a80"),
                                  self.audit, self.clock, outbox=Outbox(self.store, self.clock), release_timeout_s=0.1)
        self.svc.start()
        self.auths_used: Counter[str] = Counter()
        self.n = 0

    def teardown(self) -> None:
        self.store.close()

    def _ids(self, state: str) -> list[str]:
        return [c.id for c in self.svc.compartments() if c.state == state and c.attention is None]

    # -- staff -----------------------------------------------------------------------------------
    @rule(size=st.sampled_from(["S", "M", "L"]))
    def reserve(self, size: str) -> None:
        self.n += 1
        try:
            self.svc.reserve(size, f"CASE-{self.n}", "staff")
        except CabinetError:
            pass

    @rule(pick=st.integers(0, 10), lose=st.booleans(), close=st.booleans())
    def deposit(self, pick: int, lose: bool, close: bool) -> None:
        ids = self._ids("reserved")
        if not ids:
            return
        cid = ids[pick % len(ids)]
        self.cab.lose_next = lose
        out = self.svc.release_for_deposit(cid, "staff")
        c = self.svc.get(cid)
        if close:
            self.cab.close_door(c.board, c.lock)
            try:
                self.svc.confirm_closed(cid, "staff", intent_id=out.intent_id)
            except CabinetError:
                pass

    # -- citizen ---------------------------------------------------------------------------------
    @rule(pick=st.integers(0, 10), auth=st.integers(0, 5), lose=st.booleans(), close=st.booleans())
    def pickup(self, pick: int, auth: int, lose: bool, close: bool) -> None:
        ids = self._ids("loaded")
        if not ids:
            return
        cid = ids[pick % len(ids)]
        auth_id = f"auth-{auth}"
        self.cab.lose_next = lose
        try:
            out = self.svc.release_for_pickup(cid, auth_id, "citizen")
        except AuthorisationUsed:
            return
        except CabinetError:
            return
        self.auths_used[auth_id] += 1
        if close:
            c = self.svc.get(cid)
            self.cab.close_door(c.board, c.lock)
            try:
                self.svc.confirm_closed(cid, "citizen", intent_id=out.intent_id)
            except CabinetError:
                pass

    # -- the bus ---------------------------------------------------------------------------------
    @rule(kind=st.sampled_from(EVENT_KINDS), board=st.one_of(st.none(), st.integers(-1, 3), st.just("x")),
          lock=st.one_of(st.none(), st.integers(-1, 9)))
    def door_event(self, kind: str, board: object, lock: object) -> None:
        self.svc.on_device_event(DeviceEvent("cabinet", kind, {"board": board, "lock": lock, "detail": "model"}))

    @rule(pick=st.integers(0, 20))
    def forced_open(self, pick: int) -> None:
        c = self.svc.compartments()[pick % len(self.svc.compartments())]
        self.cab.state[(c.board, c.lock)] = "open"
        self.svc.on_device_event(DeviceEvent("cabinet", "uncommanded_open", {"board": c.board, "lock": c.lock}))

    @precondition(lambda self: self.n > 0)
    @rule()
    def restart(self) -> None:
        self.svc.reconcile(0.1)

    @rule(pick=st.integers(0, 20))
    def staff_clears(self, pick: int) -> None:
        flagged = [c.id for c in self.svc.compartments() if c.attention]
        if flagged:
            cid = flagged[pick % len(flagged)]
            c = self.svc.get(cid)
            self.cab.close_door(c.board, c.lock)
            self.svc.clear_attention(cid, "staff", "checked")

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def every_pulse_was_journaled(self) -> None:
        journaled: Counter[tuple[int, int]] = Counter(
            (r["board"], r["lock"]) for r in self.store.query("SELECT board, lock FROM intents"))
        assert self.cab.pulses == journaled

    @invariant()
    def an_authorisation_opens_once(self) -> None:
        assert all(n == 1 for n in self.auths_used.values())
        rows = self.store.query("SELECT auth_id, count(*) AS n FROM intents WHERE purpose = 'pickup' GROUP BY auth_id")
        assert all(r["n"] == 1 for r in rows)

    @invariant()
    def states_are_consistent(self) -> None:
        for c in self.svc.compartments():
            if c.state == "loaded":
                assert c.case_id
            if c.state == "empty":
                assert c.case_id is None
        assert not self.store.query("SELECT id FROM intents WHERE closed_at IS NULL")

    @invariant()
    def unconfirmed_releases_are_visible(self) -> None:
        for r in self.store.query("SELECT * FROM intents WHERE purpose IN ('deposit','pickup') AND settled IS NULL "
                                  "AND outcome NOT IN ('opened', 'already_open')"):
            c = self.svc.get(r["compartment"])
            assert c.attention is not None or c.state not in ("reserved", "loaded") or \
                self.store.query("SELECT 1 FROM audit WHERE action = 'cabinet.attention_cleared' AND subject = ?",
                                 (c.id,)), (dict(r), c)


CabinetModel.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_cabinet_model = CabinetModel.TestCase
