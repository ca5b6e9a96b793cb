"""Topic names of the fleet protocol (prefix `k/v1/{kiosk_id}`; kiosk_id = MQTT username = client id)."""

from __future__ import annotations

import re

PREFIX = "k/v1"
KIOSK_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{2,39}")


def base(kiosk_id: str) -> str:
    if not KIOSK_ID_RE.fullmatch(kiosk_id):
        raise ValueError(f"kiosk id {kiosk_id!r}: 3-40 characters of a-z, 0-9 and '-'")
    return f"{PREFIX}/{kiosk_id}"


def status(k: str) -> str: return f"{base(k)}/status"
def event(k: str, type_: str) -> str: return f"{base(k)}/evt/{type_}"
def ack(k: str) -> str: return f"{base(k)}/ack"
def health(k: str) -> str: return f"{base(k)}/health"
def desired(k: str) -> str: return f"{base(k)}/desired"
def reported(k: str) -> str: return f"{base(k)}/reported"
def command(k: str, name: str) -> str: return f"{base(k)}/cmd/{name}"
def result(k: str) -> str: return f"{base(k)}/res"
def rpc_request(k: str) -> str: return f"{base(k)}/rpc/req"
def rpc_response(k: str) -> str: return f"{base(k)}/rpc/res"


def parse(topic: str) -> tuple[str, str, str] | None:
    """'k/v1/ID/evt/x' -> ('ID', 'evt', 'x'); 'k/v1/ID/ack' -> ('ID', 'ack', ''); None if not ours."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != "k" or parts[1] != "v1" or not KIOSK_ID_RE.fullmatch(parts[2]):
        return None
    return parts[2], parts[3], "/".join(parts[4:])
