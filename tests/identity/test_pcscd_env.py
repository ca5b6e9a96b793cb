"""The private pcscd helper: a missing pcscd gives the install hint, not a crash."""

from __future__ import annotations

import pytest

from hw_sim.emrtd import pcscd


def test_missing_pcscd_gives_the_install_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(pcscd.shutil, "which", lambda _name: None)
    monkeypatch.setattr(pcscd, "VPCD_DRIVER", tmp_path / "no-such-driver.so")
    with pytest.raises(pcscd.PcscdUnavailable, match="apt-get install pcscd vsmartcard-vpcd"):
        pcscd.PrivatePcscd(tmp_path).__enter__()


def test_running_env_lists_the_virtual_reader(pcsc_env):
    assert pcsc_env.reader.startswith("Virtual PCD")
    assert pcsc_env.vpcd_port > 0
