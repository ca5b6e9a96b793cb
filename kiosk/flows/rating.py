"""The 好差评 rating step every citizen service ends with (apply, print, query, collect).

One mixin, `RatingStep`, used by the flows: `begin_rating(service, case_nos, then)` enters the
state `rating`, which offers the five levels of the national 好差评 scale (非常满意 5 … 非常不满意 1)
as one touch each, and `skip` as one touch. A rating goes to the back office
(`BackOffice.submit_rating`, a `Rating` per case, marked with the service) off the UI thread;
skipping sends nothing. Then the flow goes on to state `then`, or ends `completed` when `then`
is None. The rating state cannot be cancelled (the service is done; skip is the way out); when the
rating is the last step the session's personal data is wiped before it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.flows.texts import t
from kiosk.flows.viewmodel import Action, ViewModel

SERVICES = ("apply", "print", "query", "collect")
LEVELS = (5, 4, 3, 2, 1)  # very satisfied .. very unsatisfied, in the order shown
RATING_TAGS = ("fast", "easy", "clear", "slow", "confusing", "device_problem")


@dataclass(frozen=True)
class RatingAsk:
    """What the rating is about (no personal data: the service and case numbers)."""

    service: str
    case_nos: tuple[str, ...]
    then: str | None  # the state after the rating; None ends the visit `completed`


class RatingStep:
    """Mixin for a `Flow` (needs `go`, `end`, `session`, `ctx`, `clock`, `error`, `state`)."""

    def begin_rating(self, service: str, case_nos: Sequence[str] = (), then: str | None = None) -> None:
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r} (have: {', '.join(SERVICES)})")
        self._rating_ask = RatingAsk(service, tuple(c for c in case_nos if c), then)
        if then is None:  # the service is over: nothing personal stays on while the citizen rates
            self.session.wipe()
        self.go("rating")

    def view_rating(self) -> ViewModel:
        ask: RatingAsk = self._rating_ask
        return ViewModel(self.name, "rating", t("rating.title"), body=(t("rating.ask"),),
                         actions=(Action("rate", t("rating.send"), "choice"),
                                  Action("skip", t("rating.skip"), "secondary")),
                         screen="rating", data={"levels": list(LEVELS), "service": ask.service})

    def act_rating(self, action_id: str, score: Any = 0, tags: Sequence[str] = (), **_: Any) -> bool:
        ask: RatingAsk = self._rating_ask
        if action_id == "skip":
            self.ctx.services.audit.append("station", "rating.skipped", ask.service)
            self._after_rating(ask)
            return True
        if action_id != "rate":
            return False
        if isinstance(score, bool) or not isinstance(score, int) or score not in LEVELS:
            self.error = t("rating.pick")
            return True
        from kiosk.services.backoffice import Rating

        bo = self.ctx.services.backoffice
        at = self.clock.now().isoformat(timespec="seconds")
        good_tags = tuple(x for x in tags if x in RATING_TAGS) if isinstance(tags, (list, tuple)) else ()
        for case_no in ask.case_nos or ("",):
            rating = Rating(case_no, score, good_tags, "", at, service=ask.service)
            self.ctx.services.run("rating", lambda r=rating: bo.submit_rating(r))
        self.ctx.services.audit.append("station", "rating.given", ask.service, score=score)
        self.error = None
        self._after_rating(ask)
        return True

    def _after_rating(self, ask: RatingAsk) -> None:
        if ask.then is None:
            self.end("completed", t("outcome.completed"))
        else:
            self.go(ask.then)

    def rating_open(self) -> bool:
        """In the rating state (a flow's `cancellable()` says no there: skip is the way out)."""
        return self.state == "rating"
