"""Fixtures for identity tests (`sam_sim`, importable by other test folders). `pcsc_env` and
`passport` live in tests/conftest.py: ONE session-wide private pcscd for every folder (a second
definition imported into a test module was a second session fixture that held the pcscd lock
until the end of the run, and every identity test after it timed out waiting for the lock)."""

from __future__ import annotations

import pytest



@pytest.fixture
def sam_sim():
    """A SAM module simulator on a fresh pty (nothing inserted yet)."""
    from hw_sim.sam_module import SamModuleSim

    sim = SamModuleSim()
    sim.start()
    yield sim
    sim.close()
