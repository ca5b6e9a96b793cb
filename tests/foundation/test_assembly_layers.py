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


def test_building_and_running_a_station_imports_no_simulator():
    code = ("import sys, kiosk.assembly, kiosk.station, kiosk.cli, kiosk.flows.registry, kiosk.services.fleet.setup;"
            "bad = sorted(m for m in sys.modules if m == 'hw_sim' or m.startswith('hw_sim.'));"
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


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
