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


# ---- PC/SC: this process's private pcscd + vpcd (tests/identity, tests/flows, the simulated station) ----
# `pcsc_env` (session): a reader of the test process's own pcscd (hw_sim.emrtd.pcsc_service: in a
# mount namespace of its own, so it never meets the machine's pcscd or another run's; libpcsclite
# talks to one daemon per process, so the simulated station started by a test leases the other
# reader of the same daemon). Without pcscd/vpcd the PC/SC tests are skipped with
# `apt-get install pcscd vsmartcard-vpcd`.
@pytest.fixture(scope="session")
def pcsc_env():
    from hw_sim.emrtd.pcscd import PcscdUnavailable, PcscEnv
    from hw_sim.emrtd.pcsc_service import process_pcsc

    try:
        service = process_pcsc()
        slot = service.lease()
    except PcscdUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield PcscEnv(slot.port, slot.reader, own_daemon=True)
    finally:
        service.release(slot)


@pytest.fixture
def passport(pcsc_env):
    """A VirtualPassport on the pcsc_env's vpcd port (nothing inserted yet)."""
    from hw_sim.emrtd_card import VirtualPassport

    card = VirtualPassport(port=pcsc_env.vpcd_port, reader=pcsc_env.reader)
    yield card
    card.close()


@pytest.fixture(scope="session", autouse=True)
def _scrypt_results_remembered():
    """A staff PIN's scrypt (~80 ms, by design) is computed once per (PIN, salt, parameters) in a
    test session and remembered: hundreds of test stations enrol the same staff with the same
    salt (`tests.flows.conftest.build_world`) and sign them in. Every result is the real
    derivation, so a wrong PIN is still refused; only the repeat costs nothing."""
    from kiosk.services import pin_hash

    real = pin_hash.derive
    memo: dict[tuple[str, bytes, object], bytes] = {}

    def derive(secret: str, salt: bytes, params: pin_hash.ScryptParams = pin_hash.ScryptParams()) -> bytes:
        key = (secret, bytes(salt), params)
        if key not in memo:
            memo[key] = real(secret, salt, params)
        return memo[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pin_hash, "derive", derive)
        yield
