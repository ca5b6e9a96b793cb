"""The office's signed `desired` settings for stations (retained on `k/v1/{id}/desired`).

A station applies a desired document only when its version is newer than the last one applied and
its Ed25519 signature (the office's command key) holds, so the version is the office's clock in
milliseconds: a later document always wins and an old one can never roll settings back.
Used today for the State Council's holiday notice (`kiosk-office holidays send`): stations keep it
and their promised dates follow it without a software update.

    doc = desired_document("sh-xuhui-001", {"holidays": [notice.as_json()]}, key)
    publish_desired("mqtt://127.0.0.1:1883", "backoffice", password, [doc])
"""

from __future__ import annotations

import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.services.fleet import contract, signing, topics
from kiosk.services.fleet.link import parse_broker
from office.util import dumps, now_iso


def desired_document(station: str, settings: dict[str, Any], key: Ed25519PrivateKey,
                     version: int | None = None) -> dict[str, Any]:
    doc = {"kiosk_id": station, "version": int(version if version is not None else time.time() * 1000),
           "settings": settings, "ts": now_iso()}
    doc["sig"] = signing.sign_document(doc, key)
    contract.validate("desired", doc)  # never publish what a station would refuse
    return doc


def publish_desired(broker: str, user: str, password: str, docs: list[dict[str, Any]], *,
                    ca_file: str | None = None, timeout_s: float = 15.0) -> None:
    """Publish each document retained at QoS 1 and wait until the broker has taken all of them."""
    host, port, tls = parse_broker(broker)
    connected = threading.Event()
    failure: list[str] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{user}-desired-{time.monotonic_ns() % 10**9}",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    if tls:
        client.tls_set(ca_certs=ca_file)

    def on_connect(c: Any, u: Any, f: Any, rc: Any, p: Any) -> None:
        if rc.is_failure:
            failure.append(str(rc))
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port)
    except OSError as exc:
        raise RuntimeError(f"cannot reach the broker {host}:{port}: {exc}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout_s) or failure:
            raise RuntimeError(f"the broker {host}:{port} refused the connection ({failure[0] if failure else 'timeout'}):"
                               " check --broker, --mqtt-user and the password")
        infos = [client.publish(topics.desired(d["kiosk_id"]), dumps(d).encode(), qos=1, retain=True) for d in docs]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
            if not info.is_published():
                raise RuntimeError("the broker did not confirm every desired document in time: send again")
    finally:
        client.disconnect()
        client.loop_stop()
