"""Shared fixtures for the document tests: generated page photos, made once per session."""

from __future__ import annotations

import pytest

from hw_sim.documents import KINDS, page_photo
from kiosk.devices.scanner.analyse import PageAnalyzer


@pytest.fixture(scope="session")
def photos():
    """{kind: (frame, truth)} for every named kind (seed 0)."""
    return {kind: page_photo(kind, seed=0) for kind in KINDS}


@pytest.fixture(scope="session")
def analyzer():
    return PageAnalyzer()
