"""`kiosk scenario NAME [--json]`: run one scripted visit on the simulated station and print the
transcript of states and outcomes; `kiosk scenario --list` lists them.

The station runs in a temporary directory (its own database, key and control socket) unless
`--root DIR` is given. `--instant` swaps the simulators for instant in-memory devices (what
`bench/scenarios.py` measures). `--show` prints the script itself as JSON (for a UI runner).
`--json` lists what the visit printed: `"documents": [{"kind": "certificate", "pdf": PATH, "pages": N}]`,
and every state with what the station's speaker said there: `"states": [{"state": S, "spoken": TEXT}]`
(`--elder`: spoken in elder mode, slower).
Exit status 0 only when the visit ended with the scenario's expected outcome.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from typing import Any

from kiosk.cli._output import exit_on_sigterm, fail

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenario", help="run a scripted visit on the simulated station")
    p.add_argument("name", nargs="?", help="scenario name (see --list)")
    p.add_argument("--list", action="store_true", help="list the scenarios")
    p.add_argument("--json", action="store_true", help="one JSON document: scenario, outcome, states, ms")
    p.add_argument("--config", default="config/sim.toml")
    p.add_argument("--root", default=None, help="station directory (default: a temporary one)")
    p.add_argument("--instant", action="store_true", help="instant in-memory devices instead of the simulators")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the transcript")
    p.add_argument("--elder", action="store_true", help="elder mode: prompts spoken slower")
    p.add_argument("--show", action="store_true", help="print the script as JSON instead of running it")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from kiosk.scenarios.library import SCENARIOS

    if args.list or not args.name:
        rows = [{"name": s.name, "flow": s.flow, "expect": s.expect, "title": s.title} for s in SCENARIOS.values()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            width = max(len(r["name"]) for r in rows)
            for r in rows:
                print(f"{r['name']:<{width}}  {r['flow']:<10} -> {r['expect']:<16} {r['title']}")
        return 0 if args.list else fail(args, "name a scenario (kiosk scenario --list)")
    if args.name not in SCENARIOS:
        return fail(args, f"no scenario {args.name!r} (have: {', '.join(SCENARIOS)})", {"scenario": args.name})
    scenario = SCENARIOS[args.name]
    if args.show:
        print(json.dumps(scenario.to_json(), ensure_ascii=False, indent=None if args.json else 2))
        return 0
    from kiosk.config import ConfigError, load_config

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        return fail(args, str(exc), {"scenario": args.name})
    root = args.root or tempfile.mkdtemp(prefix="kiosk-scenario-")
    echo = None if args.json else print
    exit_on_sigterm()
    t0 = time.perf_counter()
    try:
        from kiosk import simulation

        if args.instant:
            station, controls, clock = simulation.start_instant_station(config, root=root, speech=True)
            hub = None
        else:
            from kiosk.scenarios.clock import OffsetClock

            clock = OffsetClock()
            station, hub = simulation.start_sim_station(config, root=root, clock=clock)
            controls = simulation.SimControls(hub, station)
    except Exception as exc:
        return fail(args, f"simulated station did not start: {type(exc).__name__}: {exc}", {"scenario": args.name})
    start_ms = (time.perf_counter() - t0) * 1000
    from kiosk.cli._scenario_needs import lacking

    missing = lacking(scenario, station, hub)
    if missing:  # e.g. the passport visits where no pcscd could run: say why, never a half-played visit
        try:
            station.close()
        finally:
            if hub is not None:
                hub.close()
        return fail(args, f"scenario {scenario.name} needs what this station does not have: {missing}",
                    {"scenario": scenario.name})
    from kiosk.scenarios.runner import ScenarioRunner

    try:
        if echo:
            echo(f"scenario {scenario.name}: {scenario.title}")
        result = ScenarioRunner(station, controls, clock, lang=args.lang, elder=args.elder).run(scenario, echo=echo)
        result["documents"] = produced_documents(station.flow, hub)
    finally:
        try:
            station.close()
        finally:
            if hub is not None:
                hub.close()
    if args.json:
        print(json.dumps({"scenario": result["scenario"], "outcome": result["outcome"], "expected": result["expected"],
                          "ok": result["ok"], "states": [s.to_json() for s in result["states"]], "ms": result["ms"],
                          "start_ms": round(start_ms, 1), "documents": result["documents"]}, ensure_ascii=False))
    else:
        for doc in result["documents"]:
            print(f"document: {doc['kind']}, {doc['pages']} page(s): {doc['pdf']}")
        mark = "OK" if result["ok"] else f"UNEXPECTED (expected {result['expected']})"
        print(f"outcome: {result['outcome']}  {mark}  ({result['ms']:.0f} ms; station start {start_ms:.0f} ms)")
    sys.stdout.flush()
    return 0 if result["ok"] else 1


def produced_documents(flow: Any, hub: Any) -> list[dict[str, Any]]:
    """What the visit printed: kind, the PDF the printer produced (a sink's file, or the one the
    simulated CUPS printer wrote for the job) and the pages the printer counted."""
    out: list[dict[str, Any]] = []
    for doc in getattr(flow, "documents", None) or []:
        path = doc.output
        if path is None and hub is not None:
            try:
                path = hub.call("docprinter", "output", job_id=doc.job_id)
            except Exception as exc:  # a real printer beside the simulators: no file to point at
                path = None
                log.warning("no output PDF for job %s: %s", doc.job_id, exc)
        out.append({"kind": doc.kind, "pdf": path, "pages": doc.pages})
    return out
