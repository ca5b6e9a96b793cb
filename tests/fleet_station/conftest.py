"""A simulated station joined to a real mosquitto and the simulated MQTT back office.

`joined` (module scope): mosquitto on a free port (tests/fleet's `LocalBroker`, users and ACL),
a back-office command key on disk, a tmp root holding `station.toml` (config/sim.toml with
`[station] id = "sh-test-001"`, `[fleet] broker` = that mosquitto, password file, public key,
`[backoffice] mode = "mqtt"`), the simulated station on it (`hw_sim.station.simulated`) joined with
the composition root (kiosk/assembly.py), and `hw_sim.backoffice_mqtt.MqttBackOfficeSim` holding the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import load_config
from kiosk.services.fleet import signing
from hw_sim.broker import LocalBroker
from tests.fleet.conftest import PASSWORDS, STATIONS

ROOT = Path(__file__).resolve().parents[2]
KIOSK_ID = STATIONS[0]


def station_toml(broker_url: str, public_key: str, *, password_file: str = "fleet/station.pw",
                 kiosk_id: str = KIOSK_ID, mode: str = "mqtt") -> str:
    """config/sim.toml turned into a fleet member (paths relative to the station's root)."""
    text = (ROOT / "config" / "sim.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^id = ".*"$', f'id = "{kiosk_id}"', text, count=1)
    text = text.replace('mode = "in-process"', f'mode = "{mode}"')
    fleet = "\n".join([
        "[fleet]",
        f'broker = "{broker_url}"' if broker_url else "# no broker",
        "allow_insecure = true" if (broker_url or "").startswith("mqtt://") else "# TLS broker",
        f'password_file = "{password_file}"',
        f'command_public_key = "{public_key}"',
        "keepalive_s = 5", "will_delay_s = 1", "reconnect_min_s = 0.1", "reconnect_max_s = 0.5",
        "reconnect_spread_s = 0.3", "connect_timeout_s = 2.0", "heartbeat_s = 1.0", "ack_timeout_s = 1.5",
    ])
    text, n = re.subn(r"(?m)^\[fleet\]\n(#.*\n)*", fleet + "\n", text)
    assert n == 1, "config/sim.toml has no [fleet] section to replace"
    return text


@dataclass
class Joined:
    root: Path
    broker: LocalBroker
    key_file: Path
    key: Any
    station: Any
    hub: Any
    link: Any
    bo: Any


def start_joined(root: Path, broker: LocalBroker, key: Any, **toml: Any) -> tuple[Any, Any, Any]:
    from hw_sim.station.simulated import start_sim_station

    (root / "fleet").mkdir(parents=True, exist_ok=True)
    (root / "fleet" / "station.pw").write_text(PASSWORDS[KIOSK_ID] + "\n")
    cfg_path = root / "station.toml"
    cfg_path.write_text(station_toml(broker.url if broker else "", signing.public_hex(key), **toml))
    station, hub = start_sim_station(load_config(cfg_path), root=root)
    return station, hub, station.fleet_link


def stop_joined(station: Any, hub: Any) -> None:
    from hw_sim.station.simulated import stop_sim_station

    stop_sim_station(station, hub)


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    from hw_sim.backoffice_mqtt import MqttBackOfficeSim

    root = tmp_path_factory.mktemp("joined")
    broker = LocalBroker(root / "broker", PASSWORDS)
    broker.start()
    key = signing.generate()
    key_file = root / "bo.key"
    signing.save_private(key, key_file)
    bo = station = hub = None
    try:
        bo = MqttBackOfficeSim(broker.url, PASSWORDS["backoffice"], db_path=str(root / "bo.db"), signing_key=key)
        bo.start()
        station, hub, link = start_joined(root / "station", broker, key)
        assert link is not None and link.wait_connected(10)
        yield Joined(root / "station", broker, key_file, key, station, hub, link, bo)
    finally:
        if station is not None:
            stop_joined(station, hub)
        if bo is not None:
            bo.close()
        broker.stop()
