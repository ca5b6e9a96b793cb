"""Seed data a scripted visit needs, made through the station's real services (and the
simulators' control calls where a person would act): a submitted case, a result ready for
deposit, a result waiting in the cabinet with its pickup code. Each returns the context that
fills the scenario's `{placeholders}`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hw_sim.identities import get_identity
from kiosk.flows.apply import receipt_qr
from kiosk.services.backoffice import Applicant, CaseSubmission

CITIZEN = "obama"


def submitted_case(station: Any, controls: Any, matter: str = "ME-001", person: str = CITIZEN) -> dict[str, Any]:
    """A case applied for earlier at this station (and known to the back office)."""
    ident = get_identity(person)
    m = station.catalog.get(matter)
    case = station.services.cases.open(matter, ident.id_number, promised_days=m.promised_days or None)
    bo = station.services.backoffice
    bo.submit_case(CaseSubmission(case.case_no, matter, station.config.station.id,
                                  Applicant(ident.id_number, ident.name_zh, case.applicant_masked),
                                  submitted_at=station.clock.now().isoformat(timespec="seconds")))
    station.services.cases.merge_report(bo.case_status(case.case_no))
    return {"case_no": case.case_no, "receipt_qr": receipt_qr(case.case_no, station.services.hasher)}


def result_ready(station: Any, controls: Any, matter: str = "PS-001", person: str = CITIZEN) -> dict[str, Any]:
    """A case whose result the back office has issued: staff may deposit it."""
    ctx = submitted_case(station, controls, matter, person)
    controls.call("backoffice", "ready", case_no=ctx["case_no"], size="S")
    station.services.cases.merge_report(station.services.backoffice.case_status(ctx["case_no"]))
    return ctx


def deposited_result(station: Any, controls: Any, matter: str = "PS-001", person: str = CITIZEN) -> dict[str, Any]:
    """A result in a compartment, the citizen holding its pickup code (as staff would leave it)."""
    ctx = result_ready(station, controls, matter, person)
    svc = station.cabinet_service
    case_no = ctx["case_no"]
    comp = svc.reserve("S", case_no, actor="staff:S001")
    out = svc.release_for_deposit(comp.id, actor="staff:S001")
    if not out.ok:
        raise RuntimeError(f"setup: {comp.id} did not open for the deposit ({out.result})")
    controls.close_doors([(comp.board, comp.lock)])
    deadline = time.monotonic() + 10
    while svc.door(comp.id) != "closed":
        if time.monotonic() > deadline:
            raise RuntimeError(f"setup: {comp.id} never read closed")
        time.sleep(0.01)
    svc.confirm_closed(comp.id, actor="staff:S001")
    cases = station.services.cases
    cases.set_compartment(case_no, comp.id)
    cases.set_status(case_no, "deposited", actor="staff:S001")
    m = station.catalog.get(matter)
    needs_id = bool(m.station and m.station.id_card_at_pickup)
    issued = station.services.codes.issue([case_no], applicant_hash=cases.applicant_hash(case_no),
                                          id_card_required=needs_id)
    return {**ctx, "code": issued.code, "compartment": comp.id, "board": comp.board, "lock": comp.lock}


def _load(station: Any, controls: Any, case_no: str, actor: str) -> Any:
    """Reserve, open, close and confirm a compartment for `case_no` (as a person would)."""
    svc = station.cabinet_service
    comp = svc.reserve("M", case_no, actor=actor)
    out = svc.release_for_deposit(comp.id, actor=actor)
    if not out.ok:
        raise RuntimeError(f"setup: {comp.id} did not open ({out.result})")
    controls.close_doors([(comp.board, comp.lock)])
    deadline = time.monotonic() + 10
    while svc.door(comp.id) != "closed":
        if time.monotonic() > deadline:
            raise RuntimeError(f"setup: {comp.id} never read closed")
        time.sleep(0.01)
    svc.confirm_closed(comp.id, actor=actor)
    return comp


@contextmanager
def _wall_clock_back(clock: Any, seconds: float) -> Iterator[None]:
    """Seed data recorded `seconds` ago: the wall clock steps back and returns (timers, which
    run on monotonic time, are not moved), so later visits keep today's date. Meanwhile every
    thread of the station sees the earlier date (an outbox event or heartbeat stamped then):
    acceptable for a simulated station being set up between visits."""
    clock.step(-seconds)
    try:
        yield
    finally:
        clock.step(seconds)


def dropoff_and_expired(station: Any, controls: Any) -> dict[str, Any]:
    """Paper originals dropped off for a case, and a result nobody collected for 31 days."""
    drop = submitted_case(station, controls, "PS-003", "lin_manuel_miranda")
    comp = _load(station, controls, drop["case_no"], "citizen")
    station.services.cases.set_dropoff_compartment(drop["case_no"], comp.id)
    with _wall_clock_back(station.clock, 31 * 86400):  # deposited 31 days ago; the station's clock stays today's
        old = deposited_result(station, controls, "PS-001", "x_check_digit")
    return {"dropoff_case": drop["case_no"], "dropoff_compartment": comp.id, "expired_case": old["case_no"],
            "expired_compartment": old["compartment"]}


class Setups:
    """`setup(name, station, **args)`: the seed data a scripted visit needs (for every controls class)."""

    def setup(self, name: str, station: Any, **args: Any) -> dict[str, Any]:
        if name not in SETUPS:
            raise KeyError(f"no scenario set-up {name!r} (have: {', '.join(SETUPS)})")
        return SETUPS[name](station, self, **args)


SETUPS = {"submitted_case": submitted_case, "result_ready": result_ready, "deposited_result": deposited_result,
          "dropoff_and_expired": dropoff_and_expired}
