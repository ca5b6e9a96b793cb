"""Writes docs/contract/asyncapi.json (AsyncAPI 3.0) from the fleet link's JSON Schemas.

    python scripts/gen_asyncapi.py            # rewrite docs/contract/asyncapi.json
    python scripts/gen_asyncapi.py --check    # exit 1 and say so when the committed document is stale

The payload schemas in kiosk/services/fleet/schemas/ are the source of truth: every message's
payload is a `$ref` to one of them, the command-name parameter is the `name` enum of
command.schema.json, the event-type examples come from event.schema.json's examples, and the
station's connection settings (keep-alive, session expiry, will delay) are FleetSection's
defaults. What no schema says (direction, QoS, retain, correlation) is the CHANNELS table below.
Operations are the station's: `send` = the station publishes, `receive` = it subscribes; the back
office does the opposite. A schema file that is missing or not JSON is an error naming the file,
and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.config.station import FleetSection  # noqa: E402
from kiosk.services.fleet import topics  # noqa: E402

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.0.0"
DOCUMENT_ID = "urn:kiosk:fleet-link:v1"
MQTT_BINDING = "0.2.0"
DEFAULT_OUT = ROOT / "docs" / "contract" / "asyncapi.json"
DEFAULT_SCHEMAS = ROOT / "kiosk" / "services" / "fleet" / "schemas"

# The project has not chosen a licence yet (no LICENSE file, none in pyproject.toml): the contract
# says so rather than claim one. Change these two when it does; the document follows.
LICENSE = {"name": "Proprietary: no licence granted yet (the project has not chosen one)"}
CONTACT = {"name": "Kiosk fleet contract maintainers", "url": "https://kiosk.example/contract",
           "email": "fleet-contract@kiosk.example"}

KIOSK_ID = {"description": "Station id = MQTT username = client id: 3-40 characters of a-z, 0-9 and '-' "
                           f"(pattern {topics.KIOSK_ID_RE.pattern}).",
            "examples": ["lj-hall-01"]}


@dataclass(frozen=True)
class Correlation:
    """An MQTT 5 request/response pairing: Correlation Data carries `field` of the payload."""
    field: str
    response_channel: str | None = None  # the channel key the answer goes to (Response Topic)
    expires: bool = False                # the sender sets Message Expiry Interval


@dataclass(frozen=True)
class Channel:
    key: str          # channel key = message id = schema name
    suffix: str       # topic after k/v1/{kiosk_id}/
    title: str
    action: str       # the station's: send | receive
    retain: bool
    summary: str
    correlation: Correlation | None = None


CHANNELS = (
    Channel("status", "status", "Station status", "send", True,
            "online | maintenance | offline; retained; also the station's last will (offline, after the will delay)."),
    Channel("event", "evt/{type}", "Outbox event", "send", False,
            "One event from the station's outbox; it stays there until an ack covers its seq. "
            "The back office de-duplicates on (kiosk_id, event_id) and finds gaps by seq."),
    Channel("ack", "ack", "Events stored", "receive", False,
            "The back office has stored every event up to upto_seq; the station may delete them."),
    Channel("health", "health", "Device health", "send", True,
            "Device and outbox snapshot; retained; published on connect and every heartbeat_s."),
    Channel("desired", "desired", "Desired settings", "receive", True,
            "Versioned settings signed by the back office (Ed25519 over kiosk_id, version, settings); retained."),
    Channel("reported", "reported", "Reported settings", "send", True,
            "The desired version the station last applied, and errors; retained."),
    Channel("command", "cmd/{name}", "Signed command", "receive", False,
            "A command signed by the back office with the operator inside the signed fields; the station "
            "checks signature, station id and expiry, stores cmd_id, and only then acknowledges (PUBACK).",
            Correlation("cmd_id", response_channel="result", expires=True)),
    Channel("result", "res", "Command result", "send", False,
            "The answer to a command: accepted, then done or failed; rejected, duplicate or expired.",
            Correlation("cmd_id")),
    Channel("rpc_request", "rpc/req", "Call to the back office", "send", False,
            "A call from the station to the back office; the answer comes on rpc/res.",
            Correlation("call_id", response_channel="rpc_response", expires=True)),
    Channel("rpc_response", "rpc/res", "Answer to a call", "receive", False,
            "The back office's answer to a call, with the call's Correlation Data.",
            Correlation("call_id")),
)


class GenerateError(Exception):
    pass


def address(ch: Channel) -> str:
    return f"{topics.PREFIX}/{{kiosk_id}}/{ch.suffix}"


def load_schema(schema_dir: Path, name: str) -> dict[str, Any]:
    path = schema_dir / f"{name}.schema.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerateError(f"{path}: missing; every channel of CHANNELS needs its payload schema") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GenerateError(f"{path}: not a readable JSON schema ({exc}); fix the file") from None


def parameters(ch: Channel, schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    params: dict[str, Any] = {"kiosk_id": dict(KIOSK_ID)}
    if "{type}" in ch.suffix:
        ev = schemas["event"]
        pattern = ev.get("properties", {}).get("type", {}).get("pattern", "")
        types = sorted({ex["type"] for ex in ev.get("examples", []) if isinstance(ex, dict) and "type" in ex})
        params["type"] = {"description": f"The event's type, equal to its payload's `type` (pattern {pattern}).",
                          **({"examples": types} if types else {})}
    if "{name}" in ch.suffix:
        names = schemas["command"].get("properties", {}).get("name", {}).get("enum")
        if not names:
            raise GenerateError("command.schema.json: properties.name.enum is missing; the {name} "
                                "parameter lists the command names from it")
        params["name"] = {"description": "The command's name, equal to its payload's `name`.", "enum": list(names)}
    return params


def message(ch: Channel, ref: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"name": ch.key, "title": ch.title, "summary": ch.summary,
                           "contentType": "application/json", "payload": {"$ref": ref}}
    c = ch.correlation
    if c:
        msg["correlationId"] = {"description": f"MQTT 5 Correlation Data = the payload's {c.field} (UTF-8)",
                                "location": "$message.header#/correlationData"}
        mqtt: dict[str, Any] = {"correlationData": {"type": "string", "description": f"{c.field}, UTF-8"}}
        if c.response_channel:
            target = next(x for x in CHANNELS if x.key == c.response_channel)
            mqtt["responseTopic"] = address(target)
        msg["bindings"] = {"mqtt": {**mqtt, "bindingVersion": MQTT_BINDING}}
    return msg


def operation(ch: Channel) -> dict[str, Any]:
    mqtt: dict[str, Any] = {"qos": 1, "retain": ch.retain}
    if ch.correlation and ch.correlation.expires:
        mqtt["messageExpiryInterval"] = {
            "type": "integer", "minimum": 1,
            "description": "seconds; set by the sender so a request nobody took in time is dropped by the broker"}
    return {"action": ch.action, "channel": {"$ref": f"#/channels/{ch.key}"},
            "messages": [{"$ref": f"#/channels/{ch.key}/messages/{ch.key}"}],
            "summary": ch.summary,
            "bindings": {"mqtt": {**mqtt, "bindingVersion": MQTT_BINDING}}}


def station_connection() -> dict[str, Any]:
    fields = FleetSection.model_fields
    status = next(x for x in CHANNELS if x.key == "status")
    return {"mqtt": {
        "cleanSession": False,
        "keepAlive": fields["keepalive_s"].default,
        "sessionExpiryInterval": fields["session_expiry_s"].default,
        "lastWill": {"topic": address(status), "qos": 1, "retain": True,
                     "message": "a status payload with state offline and reason will, published by the broker "
                                f"after the will delay ({fields['will_delay_s'].default} s by default)"},
        "bindingVersion": MQTT_BINDING}}


def build(schema_dir: Path, out: Path) -> dict[str, Any]:
    schemas = {ch.key: load_schema(schema_dir, ch.key) for ch in CHANNELS}
    rel = Path(os.path.relpath(schema_dir.resolve(), out.parent.resolve())).as_posix()
    messages = {ch.key: message(ch, f"{rel}/{ch.key}.schema.json") for ch in CHANNELS}
    channels = {ch.key: {"address": address(ch), "title": ch.title, "summary": ch.summary,
                         "messages": {ch.key: {"$ref": f"#/components/messages/{ch.key}"}},
                         "parameters": parameters(ch, schemas)} for ch in CHANNELS}
    operations = {f"{ch.action}_{ch.key}": operation(ch) for ch in CHANNELS}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": DOCUMENT_ID,
        "info": {
            "title": "Kiosk fleet link",
            "version": DOCUMENT_VERSION,
            "description": (
                "Station <-> back office over plain MQTT 5 (topic prefix k/v1/{kiosk_id}; kiosk_id = MQTT "
                "username = client id). Operations are the station's: send = the station publishes, "
                "receive = it subscribes; the back office does the opposite. Every payload is one of the "
                "JSON Schemas (2020-12) in kiosk/services/fleet/schemas/, shipped with the package and "
                "validated by station and back office; they use only keywords that mean the same in "
                "draft 07, so AsyncAPI Schema readers see the same contract. Generated by "
                "scripts/gen_asyncapi.py: edit the schemas or the script, not this file."),
            "contact": CONTACT,
            "license": LICENSE,
            "tags": [{"name": "fleet"}, {"name": "mqtt5"}],
        },
        "servers": {
            "site": {"host": "127.0.0.1:1883", "protocol": "mqtt", "protocolVersion": "5",
                     "description": "A local mosquitto (config/mosquitto/); one station, a laptop, CI.",
                     "security": [{"$ref": "#/components/securitySchemes/stationPassword"}],
                     "bindings": station_connection()},
            "city": {"host": "broker.city.example:8883", "protocol": "secure-mqtt", "protocolVersion": "5",
                     "description": "A clustered MQTT 5 broker over TLS with a client certificate per station.",
                     "security": [{"$ref": "#/components/securitySchemes/stationCertificate"}],
                     "bindings": station_connection()},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "securitySchemes": {
                "stationPassword": {"type": "userPassword",
                                    "description": "username = kiosk_id; the broker's ACL lets it use only k/v1/{kiosk_id}/#"},
                "stationCertificate": {"type": "X509",
                                       "description": "a client certificate per station whose identity is the kiosk_id"},
            },
        },
    }


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schemas", type=Path, default=DEFAULT_SCHEMAS, help="the payload schemas' directory")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the AsyncAPI document to write or check")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 when --out differs")
    args = ap.parse_args(argv)
    try:
        text = render(build(args.schemas, args.out))
    except GenerateError as exc:
        print(f"gen_asyncapi: {exc}", file=sys.stderr)
        return 1
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        if current != text:
            print(f"gen_asyncapi: {args.out} is stale; run: python scripts/gen_asyncapi.py", file=sys.stderr)
            return 1
        return 0
    if not args.out.parent.is_dir():
        print(f"gen_asyncapi: {args.out.parent} is not a directory; check --out", file=sys.stderr)
        return 1
    write_atomically(args.out, text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
