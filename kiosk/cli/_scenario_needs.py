"""What a scripted visit needs that the station does not have, with the reason the simulated
station gives (its far side's `unavailable`: e.g. no pcscd for the passport reader), for the
messages of `kiosk run` and `kiosk scenario`."""

from __future__ import annotations

from typing import Any


def lacking(scenario: Any, station: Any, far: Any) -> str:
    """'' when the station has every device the visit needs, else e.g.
    'passport_reader: no pcscd at /usr/sbin/pcscd (...)' (the roles, then why, where known)."""
    roles = scenario.missing(station.devices)
    reasons = getattr(far, "unavailable", None) or {}
    why = "; ".join(reasons[r] for r in roles if r in reasons)
    return ", ".join(roles) + (f": {why}" if why else "")
