"""The flows a station can start, by name (what `Station.start_flow(name)` and the UI use)."""

from __future__ import annotations

from kiosk.flows.apply import ApplyFlow
from kiosk.flows.base import Flow
from kiosk.flows.collect import CollectFlow
from kiosk.flows.commission import CommissionFlow
from kiosk.flows.query import QueryFlow
from kiosk.flows.staff import DepositFlow, RetrieveFlow

FLOWS: dict[str, type[Flow]] = {
    "apply": ApplyFlow,
    "query": QueryFlow,
    "collect": CollectFlow,
    "deposit": DepositFlow,
    "retrieve": RetrieveFlow,
    "commission": CommissionFlow,
}
