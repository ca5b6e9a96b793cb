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


# ---- PC/SC: one private pcscd + vpcd for the whole run (tests/identity, tests/flows) ----
# `pcsc_env` (session): a private pcscd whose vpcd listens on a free port (hw_sim.emrtd.pcscd:
# file-locked against concurrent runs, or the machine's own pcscd when one is running). Without
# pcscd/vpcd the PC/SC tests are skipped with `apt-get install pcscd vsmartcard-vpcd`.
@pytest.fixture(scope="session")
def pcsc_env(tmp_path_factory: pytest.TempPathFactory):
    from hw_sim.emrtd.pcscd import PcscdUnavailable, PrivatePcscd

    daemon = PrivatePcscd(tmp_path_factory.mktemp("pcscd"))
    try:
        env = daemon.__enter__()
    except PcscdUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield env
    finally:
        daemon.__exit__()


@pytest.fixture
def passport(pcsc_env):
    """A VirtualPassport on the pcsc_env's vpcd port (nothing inserted yet)."""
    from hw_sim.emrtd_card import VirtualPassport

    card = VirtualPassport(port=pcsc_env.vpcd_port)
    yield card
    card.close()
