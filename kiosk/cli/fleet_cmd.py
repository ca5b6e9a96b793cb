"""`kiosk fleet ...`: the operator's and developer's tools for the fleet link.

- `keygen --out FILE`: make the back office's Ed25519 command key; prints the public key the
  stations put in `[fleet] command_public_key`.
- `command STATION NAME --args JSON --key FILE [--broker URL]`: sign a command, send it on
  `k/v1/STATION/cmd/NAME` (MQTT 5 response topic + correlation data) and print the station's answers.
- `broker --stations N`: run a local mosquitto with this repository's ACL and users for N simulated
  stations (development).
- `backoffice --broker URL`: run the simulated back office (stores, acks, answers calls).
- `sim --stations N --broker URL`: N simulated stations in one process (one thread).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from kiosk.cli._output import emit, fail

DEFAULT_BROKER = "mqtt://127.0.0.1:1883"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fleet", help="fleet link: keys, signed commands, local broker, simulation")
    fs = p.add_subparsers(dest="fleet_command", metavar="ACTION")
    fs.required = True

    k = fs.add_parser("keygen", help="make the back office's Ed25519 command-signing key")
    k.add_argument("--out", default="var/fleet/command.key", help="private key file (PEM, mode 0600)")
    k.add_argument("--force", action="store_true", help="overwrite an existing key")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=_keygen)

    c = fs.add_parser("command", help="sign and send a command to one station, print its answers")
    c.add_argument("station")
    c.add_argument("name", help="open_compartment | assign_deposit | set_maintenance | apply_config | notify_update | staff_add | staff_disable")
    c.add_argument("--args", default="{}", help="JSON object, e.g. '{\"compartment\": \"A01\", \"reason\": \"...\"}'")
    c.add_argument("--key", required=True, help="private key file from `kiosk fleet keygen`")
    _conn_args(c)
    c.add_argument("--operator", default="ops:cli")
    c.add_argument("--ttl", type=int, default=300, help="seconds until the command expires (max 86400)")
    c.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the final answer")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_command)

    b = fs.add_parser("broker", help="run a local mosquitto with the fleet ACL (development)")
    b.add_argument("--dir", default="var/fleet/broker")
    b.add_argument("--port", type=int, default=1883)
    b.add_argument("--stations", type=int, default=3, help="users sim-00000.. with password pw-<id>")
    b.add_argument("--prefix", default="sim")
    b.add_argument("--backoffice-password", default="backoffice")
    b.set_defaults(func=_broker)

    bo = fs.add_parser("backoffice", help="run the simulated back office on a broker")
    _conn_args(bo)
    bo.add_argument("--db", default="var/fleet/backoffice.db")
    bo.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = until Ctrl-C)")
    bo.set_defaults(func=_backoffice)

    s = fs.add_parser("sim", help="N simulated stations in one process")
    s.add_argument("--stations", type=int, default=10)
    s.add_argument("--broker", default=DEFAULT_BROKER)
    s.add_argument("--prefix", default="sim")
    s.add_argument("--password-pattern", default="pw-{id}", help="password of each station, {id} = its id")
    s.add_argument("--events-per-min", type=float, default=2.0, help="per station")
    s.add_argument("--heartbeat", type=float, default=60.0, help="seconds between health snapshots")
    s.add_argument("--spread", type=float, default=15.0, help="reconnect spread after a lost connection (s)")
    s.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = until Ctrl-C)")
    s.add_argument("--command-public-key", default=None,
                   help="accept commands signed by this key (hex or PEM file), like a station's [fleet] setting")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_sim)


def _conn_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", default=DEFAULT_BROKER, help="mqtt://host:port or mqtts://host:port")
    p.add_argument("--user", default="backoffice")
    p.add_argument("--password", default=None)
    p.add_argument("--password-file", default=None)
    p.add_argument("--ca-file", default=None)
    p.add_argument("--cert-file", default=None)
    p.add_argument("--key-file", default=None)


def _password(args: argparse.Namespace) -> str | None:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    return args.password


def _keygen(args: argparse.Namespace) -> int:
    from kiosk.services.fleet import signing
    out = Path(args.out)
    if out.exists() and not args.force:
        return fail(args, f"{out} exists; use --force to replace it (stations trust the old public key)")
    key = signing.generate()
    signing.save_private(key, out)
    pub = signing.public_hex(key)
    emit(args, {"key_file": str(out), "public_key": pub},
         f"private key: {out} (keep it on the back office only)\n"
         f"public key (station config [fleet] command_public_key): {pub}")
    return 0


def _command(args: argparse.Namespace) -> int:
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from kiosk.services.fleet import contract, signing, topics
    from kiosk.services.fleet.commands import COMMAND_NAMES
    from kiosk.services.fleet.link import parse_broker
    from kiosk.services.outbox import uuid7

    try:
        cmd_args = json.loads(args.args)
    except ValueError as exc:
        return fail(args, f"--args is not JSON: {exc}")
    if args.name not in COMMAND_NAMES:
        return fail(args, f"unknown command {args.name!r}; one of: {', '.join(COMMAND_NAMES)}")
    try:
        key = signing.load_private(args.key)
        host, port, tls = parse_broker(args.broker)
        topics.base(args.station)
    except ValueError as exc:
        return fail(args, str(exc))
    now = int(time.time())
    cmd: dict[str, Any] = {"cmd_id": uuid7(), "kiosk_id": args.station, "name": args.name, "operator": args.operator,
                           "issued_at": now, "expires_at": now + args.ttl, "args": cmd_args}
    cmd["sig"] = signing.sign(cmd, key)
    problem = contract.check("command", cmd)
    if problem:
        return fail(args, f"the command breaks the contract: {problem}")
    answers: list[dict[str, Any]] = []
    final = threading.Event()
    ready = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=args.user, protocol=mqtt.MQTTv5)
    if args.user:
        client.username_pw_set(args.user, _password(args))
    if tls:
        client.tls_set(ca_certs=args.ca_file, certfile=args.cert_file, keyfile=args.key_file)

    def on_connect(c, u, f, rc, p):  # noqa: ANN001
        if rc.is_failure:
            answers.append({"error": f"broker refused: {rc}"})
            final.set()
            return
        c.subscribe(topics.result(args.station), qos=1)

    def on_subscribe(c, u, mid, rcs, p):  # noqa: ANN001
        ready.set()

    def on_message(c, u, m):  # noqa: ANN001
        corr = getattr(m.properties, "CorrelationData", None)
        try:
            body = json.loads(m.payload)
        except ValueError:
            return
        if (corr and corr.decode(errors="replace") == cmd["cmd_id"]) or body.get("cmd_id") == cmd["cmd_id"]:
            answers.append(body)
            if body.get("status") != "accepted":
                final.set()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    try:
        client.connect(host, port, 30)
    except OSError as exc:
        return fail(args, f"cannot reach the broker {args.broker}: {exc}")
    client.loop_start()
    if not ready.wait(5):
        client.disconnect()  # before loop_stop: the network loop then ends at once, not after its 1 s select
        client.loop_stop()
        return fail(args, f"no subscription on {args.broker} within 5 s (credentials? ACL?)", {"answers": answers})
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = topics.result(args.station)
    props.CorrelationData = cmd["cmd_id"].encode()
    props.MessageExpiryInterval = args.ttl
    client.publish(topics.command(args.station, args.name), json.dumps(cmd, ensure_ascii=False), qos=1,
                   properties=props)
    final.wait(args.wait)
    client.disconnect()
    client.loop_stop()
    payload = {"cmd_id": cmd["cmd_id"], "station": args.station, "name": args.name, "answers": answers}
    if not answers:
        return fail(args, f"no answer from {args.station} within {args.wait} s (offline? the command waits on the "
                          f"broker until it expires in {args.ttl} s)", payload)
    last = answers[-1]
    lines = [f"command {cmd['cmd_id']} {args.name} -> {args.station}"]
    for a in answers:
        lines.append(f"  {a.get('status')}: {a.get('reason', '') + ': ' if a.get('reason') else ''}{a.get('detail', '')}")
    emit(args, payload, "\n".join(lines))
    if last.get("status") == "accepted":
        print(f"kiosk: {args.station} accepted the command but gave no result within {args.wait} s "
              f"(it is stored there and will run once)", file=sys.stderr)
        return 3
    return 0 if last.get("status") in ("done", "duplicate") else 2


def _broker(args: argparse.Namespace) -> int:
    from kiosk.cli._fleet_sim import run_broker
    return run_broker(args)


def _backoffice(args: argparse.Namespace) -> int:
    from kiosk.cli._fleet_sim import run_backoffice
    return run_backoffice(args)


def _sim(args: argparse.Namespace) -> int:
    from kiosk.cli._fleet_sim import run_sim
    return run_sim(args)
