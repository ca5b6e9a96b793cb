"""Fixtures every area's tests share."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TESTDATA = SHARED / "testdata"

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")


@pytest.fixture
def testdata() -> Path:
    """Optional extra real-world photos beside the checkout: they ADD cases, never required."""
    if not TESTDATA.is_dir():
        pytest.skip(f"optional extra test data not present at {TESTDATA}")
    return TESTDATA


@pytest.fixture(scope="session")
def samples() -> Path:
    """The sample face photographs the project fetches itself (`python -m hw_sim.faces.samples`)."""
    from hw_sim.faces.samples import ensure_samples

    return ensure_samples(quiet=True)


@pytest.fixture
def sim_config_path() -> Path:
    return ROOT / "config" / "sim.toml"


@pytest.fixture
def python() -> str:
    return sys.executable
