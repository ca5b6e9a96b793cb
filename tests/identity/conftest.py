"""Fixtures for identity tests, importable by other test folders
(`from tests.identity.conftest import pcsc_env, passport, sam_sim  # noqa: F401`).

`pcsc_env` (session): a private pcscd whose vpcd listens on a free port (hw_sim.emrtd.pcscd:
file-locked against concurrent runs, or the machine's own pcscd when one is running). Without
pcscd/vpcd the PC/SC tests are skipped with `apt-get install pcscd vsmartcard-vpcd`.
"""

from __future__ import annotations

import pytest

from hw_sim.emrtd.pcscd import PcscdUnavailable, PcscEnv, PrivatePcscd


@pytest.fixture(scope="session")
def pcsc_env(tmp_path_factory: pytest.TempPathFactory):
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
def passport(pcsc_env: PcscEnv):
    """A VirtualPassport on the pcsc_env's vpcd port (nothing inserted yet)."""
    from hw_sim.emrtd_card import VirtualPassport

    card = VirtualPassport(port=pcsc_env.vpcd_port)
    yield card
    card.close()


@pytest.fixture
def sam_sim():
    """A SAM module simulator on a fresh pty (nothing inserted yet)."""
    from hw_sim.sam_module import SamModuleSim

    sim = SamModuleSim()
    sim.start()
    yield sim
    sim.close()
