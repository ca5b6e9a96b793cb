"""The one assembly's layer rules: kiosk/ reaches hw_sim in one named place (kiosk/simulation.py),
building and running a station imports no simulator, simulator code and the test broker live
with hw_sim, and a lock-board protocol / command / flow is found through a registry."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def test_kiosk_imports_hw_sim_nowhere_but_the_named_place():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "kiosk").rglob("*.py")
                 if any(m == "hw_sim" or m.startswith("hw_sim.") for m in _imports(p))]
    assert offenders == []
    named = (ROOT / "kiosk" / "simulation.py").read_text(encoding="utf-8")
    assert '"hw_sim.station.simulated"' in named  # it names hw_sim modules, looked up lazily


def test_building_and_running_a_station_imports_no_simulator(tmp_path):
    """A real station (the example config, this machine's absent devices) is built, asked for its
    health and closed; no hw_sim module is loaded on the way."""
    code = f"""
import sys
from pathlib import Path
from kiosk.config import load_config
from kiosk.services.keyed_hash import create_key
from kiosk.assembly import build_station
root = Path({str(tmp_path)!r})
text = Path({str(ROOT / "config/examples/station.toml")!r}).read_text()
drop = ("broker", "ca_file", "password_file", "username", "command_public_key")
text = chr(10).join(line for line in text.splitlines() if line.split(" =")[0] not in drop)
(root / "s.toml").write_text(text)
create_key(root / "var" / "hash.key")
station = build_station(load_config(root / "s.toml"), root=root)
station.health(); station.available(); station.close()
bad = sorted(m for m in sys.modules if m == "hw_sim" or m.startswith("hw_sim."))
print(bad); sys.exit(1 if bad else 0)
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]


def test_only_developer_commands_reach_the_simulators():
    """kiosk.simulation (the named place) is imported only by the CLI and the simulator panel."""
    users = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kiosk").rglob("*.py")
                   if "kiosk.simulation" in _imports(p) or ("simulation" in p.read_text(encoding="utf-8")
                                                              and "from kiosk import simulation" in p.read_text(encoding="utf-8")))
    allowed = [u for u in users if u.startswith("kiosk/cli/") or u == "kiosk/screens/sim_panel.py"]
    assert users == allowed, users


def test_no_simulator_or_test_broker_in_kiosk_services():
    for p in (ROOT / "kiosk" / "services").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "mosquitto -c" not in text and "class LocalBroker" not in text, p
        tree = ast.parse(text)
        sims = [n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name.startswith("Sim")]
        assert sims == [], (p, sims)


def test_command_handlers_and_flows_come_from_registries():
    from kiosk.flows.registry import FLOWS
    from kiosk.services.fleet.commands import HANDLERS
    from kiosk.services.fleet.commands import COMMAND_NAMES
    from locker_firmware_bridge.protocols import protocol_names

    assert set(HANDLERS) == set(COMMAND_NAMES)
    assert {"apply", "query", "collect", "deposit", "retrieve", "commission"} <= set(FLOWS)
    assert {"8a80", "kerong-cu", "modbus-rtu"} <= set(protocol_names())


def test_the_station_is_not_patched_after_construction():
    """What the old wiring did after `Station(...)`: set attributes on it and wrap the command
    processor. The composition root hands the station its parts whole."""
    for p in (ROOT / "kiosk").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert "processor.execute =" not in text and "station.mode =" not in text, p
        assert "cab.outbox =" not in text and "cabinet_service.outbox =" not in text, p


def test_a_failed_build_closes_every_part_it_opened(tmp_path, monkeypatch):
    """A failure late in the build (after devices, cabinet and store are open) leaves no device
    thread, no serial lock and no open store behind."""
    import threading

    from hw_sim.station.instant import start_instant_station
    from kiosk.config import load_config
    from kiosk.services.fleet import setup

    before = {t.name for t in threading.enumerate()}

    def boom(*_a, **_k):
        raise RuntimeError("injected failure after the devices were opened")

    monkeypatch.setattr(setup, "choose_backoffice", boom)
    closed = []
    from kiosk.services.store import Store

    real_close = Store.close
    monkeypatch.setattr(Store, "close", lambda self: (closed.append(self.path), real_close(self))[1])
    import pytest

    with pytest.raises(RuntimeError, match="injected"):
        start_instant_station(load_config(ROOT / "config" / "sim.toml"), root=tmp_path)
    assert closed, "the store was left open"
    assert {t.name for t in threading.enumerate()} <= before | {"MainThread"}
