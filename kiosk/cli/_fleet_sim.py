"""The simulator side of `kiosk fleet` (broker, backoffice, sim): the only CLI code of the fleet
that reaches `hw_sim` (through kiosk.simulation; kept apart from fleet_cmd.py)."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from pathlib import Path

from kiosk.cli._output import fail


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    return args.password


def run_broker(args: argparse.Namespace) -> int:
    from kiosk import simulation
    station_ids = simulation.station_ids
    LocalBroker = simulation.LocalBroker
    users = {"backoffice": args.backoffice_password,
             **{i: f"pw-{i}" for i in station_ids(args.stations, args.prefix)}}
    broker = LocalBroker(args.dir, users, port=args.port)
    try:
        broker.start()
    except RuntimeError as exc:
        return fail(args, str(exc))
    print(f"mosquitto on {broker.url} (config {broker.conf}); users: backoffice, "
          f"{args.prefix}-00000..{args.prefix}-{args.stations - 1:05d} (password pw-<id>); Ctrl-C stops it",
          flush=True)
    try:
        while broker.proc and broker.proc.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0


def run_backoffice(args: argparse.Namespace) -> int:
    from kiosk import simulation
    SimBackOffice = simulation.SimBackOffice
    MqttBackOfficeSim = simulation.MqttBackOfficeSim
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    bo = MqttBackOfficeSim(args.broker, _password(args) or "backoffice", username=args.user, db_path=args.db,
                           delegate=SimBackOffice(), ca_file=args.ca_file,
                           client_cert=(args.cert_file, args.key_file) if args.cert_file else None)
    try:
        bo.start()
    except RuntimeError as exc:
        return fail(args, str(exc))
    print(f"sim back office on {args.broker}, storing in {args.db}", flush=True)
    end = time.monotonic() + args.seconds if args.seconds else float("inf")
    try:
        while time.monotonic() < end:
            time.sleep(min(5.0, max(0.1, end - time.monotonic())))
            with bo.lock:
                stations = len(bo.tracks)
                gaps = sum(1 for t in bo.tracks.values() if t.missing())
            print(f"stations {stations}  events stored {bo.count()}  with gaps {gaps}  rpc {bo.rpc_served}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        bo.close()
    return 0


def run_sim(args: argparse.Namespace) -> int:
    from kiosk import simulation
    FleetSim = simulation.FleetSim
    if args.stations < 1:
        return fail(args, "--stations must be at least 1")
    from kiosk.services.fleet import signing
    try:
        key = signing.load_public(args.command_public_key) if args.command_public_key else None
        sim = FleetSim(args.broker, args.stations, prefix=args.prefix,
                       password_for=lambda s: args.password_pattern.replace("{id}", s),
                       events_per_min=args.events_per_min, heartbeat_s=args.heartbeat, reconnect_spread_s=args.spread,
                       command_public_key=key)
    except ValueError as exc:
        return fail(args, str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sim.start()
    t0 = time.monotonic()
    end = t0 + args.seconds if args.seconds else float("inf")
    try:
        while not stop.is_set() and time.monotonic() < end:
            stop.wait(min(5.0, max(0.1, end - time.monotonic())))
            if not args.json:
                print(f"t={time.monotonic() - t0:5.0f}s  connected {sim.connected()}/{args.stations}  "
                      f"events produced {sim.produced()}  waiting for ack {sim.pending()}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    summary = {"stations": args.stations, "connected": sim.connected(), "produced": sim.produced(),
               "pending": sim.pending()}
    if args.json:
        print(json.dumps(summary))
    return 0


