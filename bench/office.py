"""The back office's ingest rate and its stations page, each beside an anchor in the same run.

1. Ingest with acknowledgement: S stations (raw paho clients speaking the contract, payloads built
   before the clock starts) publish N events each, QoS 1, to a private mosquitto; the office
   (`kiosk-office run` in its own process) validates, stores (idempotent insert) and acks; the time
   runs until every station has received `ack {upto_seq: N}`. On SQLite (WAL) and on PostgreSQL
   (a private cluster, fsync ON, synchronous commit). Anchor: the same publishers to a raw paho
   subscriber process that only counts (the broker + paho path, nothing stored).
2. The stations page (`GET /stations`, server-rendered) with 10,000 generated stations: the
   server time the app reports (Server-Timing: query + render), beside the bare SQL query of the
   same rows (anchor). Goal: ingest >= 5,000 events/s; page <= 300 ms.

    .venv/bin/python -m bench.office [--stations 10] [--events 3000] [--page-stations 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt

from bench._report import write
from hw_sim.broker import LocalBroker, free_port
from office import accounts
from office.db import create_engine, migrate
from office.pgcluster import PgCluster
from office.schema import alarms, stations
from office.util import dumps

PW = "bench-password-1"


def _payloads(station: str, n: int) -> list[tuple[str, bytes]]:
    boot = uuid.uuid4().hex
    out = []
    for seq in range(1, n + 1):
        ev = {"event_id": str(uuid.uuid4()), "seq": seq, "type": "bench.tick", "boot_id": boot,
              "ts": "2026-12-05T03:00:00.000Z", "data": {"n": seq}}
        out.append((f"k/v1/{station}/evt/bench.tick", json.dumps(ev).encode()))
    return out


class Publisher:
    """One station: publishes its prepared events and watches its ack topic."""

    def __init__(self, broker: LocalBroker, station: str, n: int) -> None:
        self.station, self.n = station, n
        self.msgs = _payloads(station, n)
        self.acked = 0
        self.done = threading.Event()
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=station, protocol=mqtt.MQTTv5)
        self.c.username_pw_set(station, PW)
        self.c.max_inflight_messages_set(1000)
        self.c.max_queued_messages_set(0)
        self.c.on_message = self._on_ack
        self.c.connect("127.0.0.1", broker.port)
        self.c.subscribe(f"k/v1/{station}/ack", 1)
        self.c.loop_start()

    def _on_ack(self, _c, _u, msg) -> None:  # noqa: ANN001
        self.acked = max(self.acked, json.loads(msg.payload)["upto_seq"])
        if self.acked >= self.n:
            self.done.set()

    def send(self) -> None:
        for topic, payload in self.msgs:
            self.c.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def _run_publishers(pubs: list[Publisher]) -> None:
    threads = [threading.Thread(target=p.send) for p in pubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


COUNTER = """
import sys, threading, paho.mqtt.client as mqtt
port, pw, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
got = [0]; done = threading.Event()
def on_msg(c, u, m):
    got[0] += 1
    if got[0] >= total: done.set()
def on_sub(c, u, mid, rc, p): print("ready", flush=True)
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="office-1", protocol=mqtt.MQTTv5)
c.username_pw_set("office-1", pw); c.on_message = on_msg; c.on_subscribe = on_sub
c.connect("127.0.0.1", port); c.subscribe("$share/office/k/v1/+/evt/#", 1); c.loop_start()
done.wait(600); print("done", got[0], flush=True)
"""


def raw_anchor(broker: LocalBroker, names: list[str], n: int) -> dict[str, object]:
    """The same publishers to a subscriber process that only counts (the broker + paho path)."""
    total = len(names) * n
    proc = subprocess.Popen([sys.executable, "-c", COUNTER, str(broker.port), PW, str(total)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    pubs = [Publisher(broker, s, n) for s in names]
    time.sleep(0.3)
    t0 = time.perf_counter()
    _run_publishers(pubs)
    last = proc.stdout.readline().split()
    dt = time.perf_counter() - t0
    proc.wait(10)
    for p in pubs:
        p.close()
    got = int(last[1]) if len(last) == 2 else 0
    return {"path": "raw paho publish -> mosquitto -> paho subscriber process (anchor)", "events": got,
            "seconds": round(dt, 2), "events_per_s": round(got / dt), "complete": got == total}


def office_run(broker: LocalBroker, names: list[str], n: int, db_url: str, label: str,
               work: Path) -> dict[str, object]:
    """`kiosk-office run` as its own process (as deployed); the clock stops at the last ack."""
    from sqlalchemy import func, select

    from office.schema import events

    engine = create_engine(db_url)
    migrate(engine)
    (work / "pw").write_text(PW)
    port = free_port()
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "office.cli", "--log-level", "WARNING", "run", "--db", db_url,
                             "--broker", broker.url, "--http", f"127.0.0.1:{port}", "--mqtt-user", "office-1",
                             "--mqtt-password-file", str(work / "pw"), "--applicant-key", str(work / "applicant-fp.key"),
                             "--signing-key", str(work / "command.key")], cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(1)]
        while "office console on" not in lines[-1]:  # the key lines come first on a first start
            if not lines[-1] or len(lines) > 20:
                raise RuntimeError(f"the office did not start: {''.join(lines)}")
            lines.append(proc.stdout.readline())
        pubs = [Publisher(broker, s, n) for s in names]
        time.sleep(0.5)
        t0 = time.perf_counter()
        _run_publishers(pubs)
        ok = all(p.done.wait(600) for p in pubs)
        dt = time.perf_counter() - t0
        for p in pubs:
            p.close()
    finally:
        proc.terminate()
        proc.wait(20)
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar()
    engine.dispose()
    return {"path": f"office process: ingest + ack on {label}", "events": stored, "seconds": round(dt, 2),
            "events_per_s": round(stored / dt), "complete": ok}


def page_bench(db_url: str, label: str, count: int, rounds: int = 7) -> list[dict[str, object]]:
    from sqlalchemy import insert, select
    from starlette.testclient import TestClient

    from office.web.app import Console, build_app

    engine = create_engine(db_url)
    migrate(engine)
    rng = random.Random(1)
    health = {"devices": {"printer": {"status": "online", "paper": "ok"}, "cabinet": {"status": "online", "bus": "ok"}}}
    rows = [{"id": f"st-{i:05d}", "state": "online" if rng.random() > 0.05 else "offline",
             "online": rng.random() > 0.05, "last_seen": "2026-12-05T03:00:00.000Z", "boot_id": "b", "sw": "0.1.0",
             "health": dumps(health), "acked_upto": 0, "events_lost": 0, "paper": "ok", "boards": "ok"}
            for i in range(count)]
    with engine.begin() as conn:
        conn.execute(insert(stations), rows)
        conn.execute(insert(alarms), [{"station": f"st-{rng.randrange(count):05d}", "kind": "paper_out",
                                       "state": "open", "detail": "", "source": f"b:{i}",
                                       "raised_at": "2026-12-05T03:00:00.000Z"} for i in range(500)])
    accounts.add_user(engine, "bench", "operator", PW)
    anchor, server, total = [], [], []
    with TestClient(build_app(Console(engine))) as client:
        assert client.post("/api/login", json={"user": "bench", "password": PW}).status_code == 200
        for _ in range(rounds):
            t0 = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(select(stations.c.id, stations.c.state, stations.c.online, stations.c.last_seen,
                                    stations.c.sw, stations.c.paper, stations.c.boards)
                             .order_by(stations.c.id)).all()
            anchor.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            r = client.get("/stations")
            total.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and r.text.count("data-station=") == count
            server.append(float(r.headers["server-timing"].split("dur=")[1]))
    engine.dispose()
    return [
        {"path": f"SELECT {count} station rows on {label} (anchor)", "median_ms": round(statistics.median(anchor), 1)},
        {"path": f"GET /stations, {count} stations, {label}: server time", "median_ms": round(statistics.median(server), 1),
         "max_ms": round(max(server), 1), "goal_ms": 300},
        {"path": f"GET /stations, {count} stations, {label}: incl. HTTP in-process",
         "median_ms": round(statistics.median(total), 1)},
    ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.office")
    ap.add_argument("--stations", type=int, default=10)
    ap.add_argument("--events", type=int, default=3000, help="events per station")
    ap.add_argument("--page-stations", type=int, default=10_000)
    args = ap.parse_args(argv)
    names = [f"st-bench-{i:03d}" for i in range(args.stations)]
    work = Path(tempfile.mkdtemp(prefix="bench-office-"))
    broker = LocalBroker(work / "broker", {"office-1": PW, **{s: PW for s in names}},
                         max_queued_messages=1_000_000)
    with open(broker.dir / "acl", "a", encoding="utf-8") as f:
        f.write("\nuser office-1\ntopic readwrite k/v1/#\n")
    broker.start()
    pg = PgCluster(fast=False).start()
    rows: list[dict[str, object]] = []
    try:
        rows.append(raw_anchor(broker, names, args.events))
        rows.append(office_run(broker, names, args.events, f"sqlite:///{work}/office.db", "SQLite (WAL)", work))
        rows.append(office_run(broker, names, args.events, pg.url, "PostgreSQL 15 (fsync on)", work))
        page_rows = page_bench(f"sqlite:///{work}/page.db", "SQLite", args.page_stations)
        pg2 = pg.url.rsplit("/", 1)[0] + "/postgres"
        from sqlalchemy import text
        admin = create_engine(pg2)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE page"))
        admin.dispose()
        page_rows += page_bench(pg.url.rsplit("/", 1)[0] + "/page", "PostgreSQL", args.page_stations)
    finally:
        broker.stop()
        pg.cleanup()
    anchor = rows[0]["events_per_s"]
    for r in rows:
        r["vs_anchor"] = round(r["events_per_s"] / anchor, 2) if anchor else None
    write("office_ingest", rows, ["path", "events", "seconds", "events_per_s", "vs_anchor", "complete"],
          stations=args.stations, events_per_station=args.events, goal_events_per_s=5000)
    write("office_page", page_rows, ["path", "median_ms", "max_ms", "goal_ms"], stations=args.page_stations)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
