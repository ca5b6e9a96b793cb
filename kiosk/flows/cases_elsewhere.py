"""Asking the back office for a person's cases after card + face, and keeping its answer locally.

Shared by the query flow (every case of the person, adopted when made elsewhere) and the collect
flow (results deposited here for a case filed elsewhere: the staff deposit adopted it without an
applicant, and the back office's list names this person as its applicant). ADR 0257, 0260.

`ask_for_cases(flow)` starts the call as the flow's `lookup` command (the flow's `done_lookup`
receives the completion); `keep_listed_cases(...)` stores what it listed.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.devices.base import Completion
from kiosk.flows.identify import applicant_of

log = logging.getLogger(__name__)

LOOKUP = "lookup"  # the command tag: the flow implements done_lookup(c)


def ask_for_cases(flow: Any) -> None:
    """Ask the back office for the identified person's open cases (`cases_for_applicant`)."""
    bo, applicant, visit = flow.ctx.services.backoffice, applicant_of(flow.session.identity), flow.session.id
    flow.start(LOOKUP, flow.ctx.services.run(LOOKUP, lambda: bo.cases_for_applicant(applicant, session=visit)))


def keep_listed_cases(cases: Any, c: Completion[Any], id_number: str, *, adopt: bool) -> bool:
    """Bind this person as applicant of the listed cases kept here whose applicant was unknown;
    with `adopt`, also keep a record of listed cases this station has never seen. Returns whether
    the back office answered (False: the local records are all there is)."""
    if not c.ok:
        return False
    for report in c.data or []:
        try:
            if cases.find(report.case_no) is None:
                if adopt:
                    cases.adopt(report, id_number)
            else:
                cases.bind_applicant(report.case_no, id_number)
        except Exception as exc:  # one odd report must not hide the others
            log.warning("back-office case %r not kept: %s", getattr(report, "case_no", "?"), exc)
    return True
