"""Fleet link benchmark: outbox enqueue rate, drain rate to a local mosquitto with back-office
acks, and a city-scale broker restart with N simulated stations in one process.

    .venv/bin/python -m bench.fleet [--stations 1000] [--drain-events 5000] [--spread 15]

Figures (table + out/bench/fleet.json):
- enqueue: events/s into the SQLite outbox (file, WAL, synchronous=FULL), one transaction per event
  and 100 per transaction;
- drain: events/s from one station's outbox to the simulated back office, counted when the back
  office's ack has deleted them (not on PUBACK); goal >= 1,000/s;
- restart: N stations connected, the broker restarted (SIGTERM, start): seconds until every station
  is back, the spread of their reconnects (goal >= 10 s), seconds until every outbox is acked,
  memory per simulated station, and events lost (goal 0: the back office's stored set equals the
  produced set, seqs contiguous per station).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._report import write
from kiosk.core.memory import resident_mb
from hw_sim.fleet_sim import FleetSim, station_ids
from hw_sim.broker import LocalBroker
from kiosk.services.fleet.link import FleetLink, LinkSettings
from kiosk.services.outbox import Outbox
from kiosk.services.store import Store

ROOT = Path(__file__).resolve().parent.parent


def bench_enqueue(tmp: Path, n: int = 2000) -> list[dict]:
    rows = []
    store = Store(tmp / "enqueue.db")
    box = Outbox(store)
    t0 = time.perf_counter()
    for i in range(n):
        box.add_now("bench.event", {"i": i, "compartment": "A01"})
    dt = time.perf_counter() - t0
    rows.append({"figure": "enqueue, 1 event per transaction", "value": round(n / dt), "unit": "events/s",
                 "goal": "", "note": f"{n} events, file DB, WAL, synchronous=FULL"})
    t0 = time.perf_counter()
    for b in range(n // 100):
        with store.transaction() as conn:
            for i in range(100):
                box.add(conn, "bench.event", {"i": i})
    dt = time.perf_counter() - t0
    rows.append({"figure": "enqueue, 100 events per transaction", "value": round(n / dt), "unit": "events/s",
                 "goal": "", "note": "state change + its events commit together"})
    store.close()
    return rows


def start_backoffice(broker: LocalBroker, db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "fleet", "backoffice", "--broker", broker.url,
                             "--password", "bo-pass", "--db", str(db)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if "sim back office" not in line:
        raise RuntimeError(f"back office did not start: {line}")
    return proc


def bo_query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def bench_drain(tmp: Path, n: int) -> list[dict]:
    broker = LocalBroker(tmp / "drain-broker", {"backoffice": "bo-pass", "drain-001": "pw"})
    broker.start()
    bo_db = tmp / "drain-bo.db"
    bo = start_backoffice(broker, bo_db)
    try:
        store = Store(tmp / "drain-station.db")
        box = Outbox(store)
        for b in range(n // 500):
            with store.transaction() as conn:
                for i in range(500):
                    box.add(conn, "bench.event", {"i": b * 500 + i, "case": "SH-20261122-0001-X"})
        link = FleetLink(LinkSettings(kiosk_id="drain-001", broker=broker.url, username="drain-001", password="pw",
                                      drain_batch=1000, ack_timeout_s=5), box)
        t0 = time.perf_counter()
        link.start()
        while box.stats().pending > 0 and time.perf_counter() - t0 < 120:
            time.sleep(0.01)
        dt = time.perf_counter() - t0
        link.stop()
        stored = bo_query(bo_db, "SELECT count(*), count(DISTINCT seq) FROM events WHERE station='drain-001'")[0]
        lost = n - stored[1]
        return [{"figure": "drain to mosquitto, acked by the back office", "value": round(n / dt), "unit": "events/s",
                 "goal": ">= 1000", "note": f"{n} events in {dt:.2f} s incl. connect; lost {lost}; "
                                            f"resent {link.stats.events_resent}"}], lost
    finally:
        bo.terminate()
        bo.wait(10)
        broker.stop()


def bench_restart(tmp: Path, n: int, spread: float, events_per_min: float) -> tuple[list[dict], dict]:
    ids = station_ids(n, "city")
    broker = LocalBroker(tmp / "city-broker", {"backoffice": "bo-pass", **{i: f"pw-{i}" for i in ids}})
    broker.start()
    bo_db = tmp / "city-bo.db"
    bo = start_backoffice(broker, bo_db)
    try:
        m0 = resident_mb() * 1024
        sim = FleetSim(broker.url, n, prefix="city", password_for=lambda s: f"pw-{s}", events_per_min=events_per_min,
                       heartbeat_s=60, reconnect_spread_s=spread, reconnect_min_s=1.0, reconnect_max_s=30.0,
                       keepalive_s=60)
        sim.start()
        t0 = time.perf_counter()
        while sim.connected() < n and time.perf_counter() - t0 < 120:
            time.sleep(0.1)
        first_connect = time.perf_counter() - t0
        time.sleep(5)  # steady traffic
        mem_per_station = (resident_mb() * 1024 - m0) / n
        connects_before = {s.kiosk_id: s.link.stats.connects for s in sim.stations}
        broker.terminate()
        t_down = time.perf_counter()
        broker.start()
        t_up = time.perf_counter()
        back_at: dict[str, float] = {}
        while len(back_at) < n and time.perf_counter() - t_up < 180:
            now = time.perf_counter()
            for s in sim.stations:
                if s.kiosk_id not in back_at and s.link.stats.connects > connects_before[s.kiosk_id] \
                        and s.link.connected:
                    back_at[s.kiosk_id] = now - t_up
            time.sleep(0.05)
        all_back = max(back_at.values()) if back_at else float("nan")
        first_back = min(back_at.values()) if back_at else float("nan")
        sim.paused_events = True
        t_pend = time.perf_counter()
        while sim.pending() > 0 and time.perf_counter() - t_pend < 120:
            time.sleep(0.2)
        drained = time.perf_counter() - t_up
        time.sleep(1.0)
        produced = sim.produced()
        sim.stop()
        per_station = {st: (cnt, mx) for st, cnt, mx in bo_query(
            bo_db, "SELECT station, count(DISTINCT seq), max(seq) FROM events GROUP BY station")}
        lost = 0
        for s in sim.stations:
            last = s.outbox.stats().last_seq
            cnt, mx = per_station.get(s.kiosk_id, (0, 0))
            lost += last - cnt
        stored = sum(c for c, _ in per_station.values())
        rows = [
            {"figure": f"stations connected at start (N={n})", "value": round(first_connect, 1), "unit": "s",
             "goal": "", "note": "initial connects spread over <= 5 s"},
            {"figure": "memory per simulated station", "value": round(mem_per_station, 1), "unit": "KiB",
             "goal": "", "note": "RSS delta / N (SQLite outbox in memory + paho client + link)"},
            {"figure": "broker restart: first station back", "value": round(first_back, 2), "unit": "s",
             "goal": "", "note": f"broker down->up took {t_up - t_down:.2f} s (SIGTERM, start)"},
            {"figure": "broker restart: all stations back", "value": round(all_back, 1), "unit": "s",
             "goal": "", "note": f"{len(back_at)}/{n} reconnected"},
            {"figure": "reconnect spread (last - first)", "value": round(all_back - first_back, 1), "unit": "s",
             "goal": ">= 10", "note": f"first retry uniform in [0, {spread}] s"},
            {"figure": "recovered: every outbox acked", "value": round(drained, 1), "unit": "s", "goal": "",
             "note": "from broker up until no station holds an unacked event"},
            {"figure": "events lost", "value": lost, "unit": "events", "goal": "0",
             "note": f"produced {produced}, stored {stored}"},
        ]
        return rows, {"lost": lost, "reconnected": len(back_at)}
    finally:
        bo.terminate()
        bo.wait(10)
        broker.stop()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench.fleet")
    p.add_argument("--stations", type=int, default=1000)
    p.add_argument("--drain-events", type=int, default=5000)
    p.add_argument("--spread", type=float, default=15.0)
    p.add_argument("--events-per-min", type=float, default=1.0, help="per simulated station")
    a = p.parse_args(argv)
    import logging
    logging.basicConfig(level=logging.ERROR)  # 1000 stations x "link down" warnings would drown the table
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as d:
        tmp = Path(d)
        rows = bench_enqueue(tmp)
        drain_rows, drain_lost = bench_drain(tmp, a.drain_events)
        rows += drain_rows
        city_rows, city = bench_restart(tmp, a.stations, a.spread, a.events_per_min)
        rows += city_rows
    write("fleet", rows, ["figure", "value", "unit", "goal", "note"], stations=a.stations,
          events_lost=drain_lost + city["lost"], reconnected=f"{city['reconnected']}/{a.stations}")
    return 0 if drain_lost + city["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
