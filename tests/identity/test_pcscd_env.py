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


def test_a_missing_pcscd_binary_is_named_with_the_install_hint(tmp_path):
    from hw_sim.emrtd.pcsc_service import find_pcscd

    with pytest.raises(pcscd.PcscdUnavailable, match=f"no pcscd at {tmp_path}/pcscd: .*apt-get install pcscd"):
        find_pcscd(str(tmp_path / "pcscd"))


def test_the_process_pcscd_leases_each_reader_once(pcsc_env):
    """Its own socket (never the machine's /run/pcscd), its readers leased one at a time; when
    all are taken the next lease says so."""
    import os

    from hw_sim.emrtd.pcsc_service import SOCKET_ENV, process_pcsc

    service = process_pcsc()
    if service.socket_path is not None:  # isolated (root or user namespaces): this process talks to it
        assert os.environ[SOCKET_ENV] == service.socket_path != "/run/pcscd/pcscd.comm"
    taken = []
    try:
        with pytest.raises(pcscd.PcscdUnavailable, match="every virtual reader of this process's pcscd is in use"):
            for _ in range(8):
                taken.append(service.lease())
        names = [s.reader for s in taken] + [pcsc_env.reader]
        assert taken and len(set(names)) == len(names)
        assert len({s.port for s in taken} | {pcsc_env.vpcd_port}) == len(names)
    finally:
        for slot in taken:
            service.release(slot)
    again = service.lease()  # released readers come back
    service.release(again)
