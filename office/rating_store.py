"""Storing a 好差评 rating a station sends, whichever way it came: the RPC `submit_rating`
(`office.station_calls`) or an outbox event `backoffice.rating` (`office.ingest`). One check and
one insert for both, so a rating keeps the service it rates on either path and a bad one is
refused the same way.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from kiosk.services.backoffice import RATED_SERVICES, BackofficeError, Rating
from office.schema import ratings
from office.util import dumps, now_iso


def store(conn: Connection, station: str, rating: Rating) -> None:
    """Check `rating` (score 1-5; `service` empty or one of `RATED_SERVICES`) and insert it in the
    caller's transaction. Raises BackofficeError("invalid") naming what is wrong."""
    if isinstance(rating.score, bool) or not isinstance(rating.score, int) or not 1 <= rating.score <= 5:
        raise BackofficeError("invalid", f"score must be 1-5, got {rating.score!r}")
    service = rating.service or ""
    if not isinstance(service, str) or (service and service not in RATED_SERVICES):
        raise BackofficeError("invalid", f"unknown service {str(service)[:40]!r} (have: {', '.join(RATED_SERVICES)})")
    conn.execute(ratings.insert().values(station=station, case_no=str(rating.case_no)[:64], score=rating.score,
                                         tags=dumps(list(rating.tags)), comment=str(rating.comment)[:500],
                                         at=rating.at or now_iso(), service=service))
