"""`kiosk setup` with a passport reader: the trust store goes into the config (a pcsc:// reader
without one is refused by the config check, security finding 2)."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.config import ConfigError, parse_config
from kiosk.provisioning.plan import DevicePlan
from kiosk.provisioning.station_toml import as_data
from tests.setup.test_plan_and_config import plan


def _pcsc_plan(trust_store: str | None):  # noqa: ANN202
    p = plan()
    devices = dict(p.devices)
    devices["id_reader"] = DevicePlan("id_reader", "pcsc://ACS ACR1252 00 00", "discovered")
    return dataclasses.replace(p, devices=devices, trust_store=trust_store)


def test_pcsc_reader_plan_carries_the_trust_store() -> None:
    cfg = parse_config(as_data(_pcsc_plan("/etc/kiosk/csca")))
    assert cfg.devices.id_reader.trust_store == "/etc/kiosk/csca"


def test_pcsc_reader_plan_without_a_trust_store_fails_the_check() -> None:
    with pytest.raises(ConfigError, match="trust_store"):
        parse_config(as_data(_pcsc_plan(None)))


def test_setup_cli_has_a_trust_store_option() -> None:
    import argparse

    from kiosk.cli import setup_cmd

    parser = argparse.ArgumentParser()
    setup_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["setup", "--cabinet-port", "/dev/x", "--station-id", "s-1", "--out", "x.toml",
                              "--trust-store", "/etc/kiosk/csca"])
    assert args.trust_store == "/etc/kiosk/csca"
