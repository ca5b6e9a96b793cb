"""The office's MQTT 5 side: ingest of station messages, acks, station RPC, commands out.

Threads (callbacks never do work, an exception in one message never stops a loop):
- `net`: owns the paho client: connects (clean start; a dead office process leaves no session
  behind to swallow messages), runs `client.loop()`, and is the ONLY code that publishes — other
  threads put messages on `outq`;
- `ingest`: validates events/status/health/res with the contract's JSON Schemas, stores events in
  batches (`office.ingest.Ingest`), queues the acks;
- `rpc`: answers `rpc/req` with `office.station_calls.StationCalls` for the station of the topic
  (answers signed with the office's key when it has one: the station verifies identity answers).

Subscriptions: events, RPC requests and command results through the MQTT 5 shared subscription
`$share/{group}/...` (several office processes split the fleet's traffic; idempotent storage by
event id makes a redelivery harmless); `status` and `health` without sharing, because a broker
sends no retained messages to a shared subscription — every process keeps the station list.
"""

from __future__ import annotations

import json
import logging
import queue
from select import select as sock_select
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from kiosk.services.backoffice import BackOffice, BackofficeError
from kiosk.services.fleet import rpc, signing, topics
from kiosk.services.fleet.link import parse_broker
from office import auditlog, fastcheck
from office.ingest import Ingest
from office.reference_photos import PhotoGuard, PhotoRegister
from office.schema import commands
from office.payments import PaymentProvider, SimulatedProvider
from office.station_calls import StationCalls
from office.util import dumps, now_iso

log = logging.getLogger(__name__)
SHARED = ("evt/#", "rpc/req", "res")
PER_PROCESS = ("status", "health")
FINAL_STATES = frozenset({"done", "failed", "rejected", "expired"})


@dataclass
class MqttStats:
    received: int = 0
    rejected: int = 0
    acks_sent: int = 0
    rpc_served: int = 0
    results: int = 0
    connects: int = 0
    db_errors: int = 0


class OfficeMqtt:
    def __init__(self, engine: Engine, broker: str, username: str, password: str, *, group: str = "office",
                 ca_file: str | None = None, ack_interval_s: float = 0.02, pay_after_s: float = 5.0,
                 signing_key: Any = None, photos: PhotoRegister | None = None, photos_per_hour: int = 60,
                 session_expiry_s: int = 0, client_cert: tuple[str, str] | None = None,
                 applicant_key: Any = None, provider: PaymentProvider | None = None) -> None:
        self.engine = engine
        self.applicant_key = applicant_key  # office.applicant_key: the keyed applicant fingerprints
        # the one payment provider of this office process: every station's calls charge through it
        self.provider = provider or SimulatedProvider(pay_after_s)
        self.session_expiry_s = session_expiry_s  # 0: clean start, no session left behind (an office process)
        self.signing_key = signing_key  # signs RPC answers: the station trusts identity answers only so signed
        self.photos = photos
        self.photo_guard = PhotoGuard(photos_per_hour)
        self.host, self.port, tls = parse_broker(broker)
        self.group = group
        self.ack_interval_s = ack_interval_s
        self.pay_after_s = pay_after_s
        self.ingest = Ingest(engine)
        self.stats = MqttStats()
        self.refusals: list[str] = []  # the last refused messages, for the console and tests
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._work: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
        self._rpcq: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
        self._outq: queue.Queue[tuple[str, bytes, int, bool, Properties | None]] = queue.Queue()
        self._stop = threading.Event()
        self._up = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_audit: dict[tuple[str, str], float] = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=username, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        if tls:
            self.client.tls_set(ca_certs=ca_file, certfile=client_cert[0] if client_cert else None,
                                keyfile=client_cert[1] if client_cert else None)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_connect = lambda c, u, f, rc, p: self._inbox.put(("connect", rc))
        self.client.on_disconnect = lambda c, u, f, rc, p: self._inbox.put(("disconnect", rc))
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._inbox.put(("subscribed", mid))
        self.client.on_message = self._on_message

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self, wait: float = 10.0) -> OfficeMqtt:
        self._stop.clear()
        for name, target in (("office-net", self._net), ("office-ingest", self._ingest_loop),
                             ("office-rpc", self._rpc_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        if wait and not self._up.wait(wait):
            raise RuntimeError(f"office could not connect to the broker {self.host}:{self.port}: check --broker, "
                               "the MQTT user and password")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._work.put(None)
        self._rpcq.put(None)
        for t in self._threads:
            t.join(5)
        self._threads.clear()
        self._up.clear()

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                properties: Properties | None = None) -> None:
        self._outq.put((topic, payload, qos, retain, properties))

    # ---- network thread ---------------------------------------------------------------------------
    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        parsed = topics.parse(msg.topic)
        if parsed is not None and parsed[1] == "rpc":
            self._rpcq.put(msg)
        else:
            self._work.put(msg)

    def _net(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry_s
        connected, next_try = False, 0.0
        while not self._stop.is_set():
            try:
                if not connected:
                    if time.monotonic() < next_try:
                        time.sleep(0.05)
                        continue
                    try:
                        self.client.connect(self.host, self.port, keepalive=15,
                                            clean_start=self.session_expiry_s == 0, properties=props)
                        connected = True
                    except OSError as exc:
                        log.warning("broker %s:%s: %s", self.host, self.port, exc)
                        next_try = time.monotonic() + 1.0
                        continue
                rc = self.client.loop(timeout=0.005)
                if rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                    rc = self._read_burst()
                if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                    connected = False
                    self._up.clear()
                    next_try = time.monotonic() + 1.0
                while True:
                    try:
                        kind, item = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if kind == "connect":
                        if getattr(item, "is_failure", False):
                            log.error("broker refused the office: %s", item)
                            continue
                        self.client.subscribe(self.subscriptions())
                        self.stats.connects += 1
                    elif kind == "subscribed":
                        self._up.set()  # up once the broker confirmed the subscriptions: nothing sent before is missed
                    elif kind == "disconnect":
                        self._up.clear()
                if self._up.is_set():
                    for _ in range(2000):
                        try:
                            topic, payload, qos, retain, p = self._outq.get_nowait()
                        except queue.Empty:
                            break
                        self.client.publish(topic, payload, qos=qos, retain=retain, properties=p)
            except Exception:
                log.exception("office network loop step failed; continuing")
        try:
            self.client.disconnect()
            self.client.loop(timeout=0.1)
        except Exception:
            pass

    def subscriptions(self) -> list[tuple[str, int]]:
        subs = [(f"$share/{self.group}/k/v1/+/{t}", 1) for t in SHARED]
        return subs + [(f"k/v1/+/{t}", 1) for t in PER_PROCESS]

    def _read_burst(self, limit: int = 2000) -> int:
        """`loop()` reads one packet per call; under load read every packet already waiting on
        the socket in one go (one GIL hold instead of one per packet), then send the PUBACKs."""
        sock = self.client.socket()
        rc = mqtt.MQTT_ERR_SUCCESS
        for _ in range(limit):
            if sock is None or not sock_select([sock], [], [], 0)[0]:
                break
            rc = self.client.loop_read()
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                return rc
        if self.client.want_write():
            rc = self.client.loop_write()
        return rc

    # ---- ingest thread ---------------------------------------------------------------------------
    def _refuse(self, station: str, topic: str, why: str) -> None:
        self.stats.rejected += 1
        self.refusals = (self.refusals + [f"{topic}: {why}"])[-50:]
        log.warning("refused %s: %s", topic, why)
        key = (station, why[:40])
        now = time.monotonic()
        if now - self._last_audit.get(key, 0.0) >= 1.0:  # a flood of bad messages gives one record a second
            self._last_audit[key] = now
            try:
                auditlog.record_now(self.engine, f"station:{station}", "ingest.refused", topic[:120], ok=False,
                                    reason=why[:300])
            except SQLAlchemyError:
                self.stats.db_errors += 1

    def _decode(self, msg: mqtt.MQTTMessage, schema: str) -> Any:
        station = topics.parse(msg.topic)[0]  # type: ignore[index]
        try:
            body = json.loads(msg.payload)
        except (ValueError, UnicodeDecodeError):
            self._refuse(station, msg.topic, "not JSON")
            return None
        problem = fastcheck.check(schema, body)
        if problem:
            self._refuse(station, msg.topic, problem)
            return None
        claimed = body.get("kiosk_id") if isinstance(body, dict) else None
        if claimed is not None and claimed != station:
            self._refuse(station, msg.topic, f"payload names station {str(claimed)[:40]!r}, topic {station!r}")
            return None
        return body

    def _ingest_loop(self) -> None:
        pending_acks: dict[tuple[str, str], dict[str, Any]] = {}
        last_flush = 0.0
        while not self._stop.is_set():
            try:
                msg = self._work.get(timeout=0.05)
            except queue.Empty:
                msg = None
            batch: list[tuple[str, dict[str, Any]]] = []
            msgs = [msg] if msg is not None else []
            while len(msgs) < 5000:
                try:
                    m = self._work.get_nowait()
                except queue.Empty:
                    break
                if m is not None:
                    msgs.append(m)
            for m in msgs:
                try:
                    self.stats.received += 1
                    parsed = topics.parse(m.topic)
                    if parsed is None:
                        continue
                    station, kind, _rest = parsed
                    if kind == "evt":
                        body = self._decode(m, "event")
                        if body is not None:
                            batch.append((station, body))
                    elif kind in ("status", "health", "reported"):
                        if not m.payload:
                            continue  # a cleared retained message
                        body = self._decode(m, kind)
                        if body is not None:
                            self._store_state(station, kind, body)
                    elif kind == "res":
                        body = self._decode(m, "result")
                        if body is not None:
                            self._store_result(station, body)
                except SQLAlchemyError as exc:
                    self.stats.db_errors += 1
                    log.error("database error on %s (the station will resend): %s", m.topic, exc)
                except Exception:
                    log.exception("message on %s failed", m.topic)
            if batch:
                try:
                    pending_acks.update(self.ingest.store_events(batch))
                except SQLAlchemyError as exc:
                    # nothing acknowledged: the stations keep the events and resend them
                    self.stats.db_errors += 1
                    log.error("database error storing %d events (not acknowledged): %s", len(batch), exc)
            now = time.monotonic()
            if pending_acks and now - last_flush >= self.ack_interval_s:
                for (st, _stream), body in pending_acks.items():
                    self.publish(topics.ack(st), json.dumps(body).encode(), 1)
                    self.stats.acks_sent += 1
                pending_acks.clear()
                last_flush = now

    def _store_state(self, station: str, kind: str, body: dict[str, Any]) -> None:
        if kind == "status":
            self.ingest.store_status(station, body)
        elif kind == "health":
            self.ingest.store_health(station, body)

    def _store_result(self, station: str, body: dict[str, Any]) -> None:
        self.stats.results += 1
        cmd_id = body.get("cmd_id")
        with self.engine.begin() as conn:
            row = conn.execute(select(commands.c.station, commands.c.state).where(commands.c.cmd_id == cmd_id)).first()
            if row is None or row.station != station:
                why = "result for a command this office never sent" if row is None else \
                    f"result for a command sent to {row.station}"
                self.stats.rejected += 1
                self.refusals = (self.refusals + [f"res from {station}: {why}"])[-50:]
                auditlog.record(conn, f"station:{station}", "command.result.refused", str(cmd_id)[:64], ok=False,
                                reason=why)
                return
            # results can arrive out of order (shared subscription): a final state is never undone
            if not (row.state in FINAL_STATES and body["status"] in ("accepted", "duplicate")):
                conn.execute(update(commands).where(commands.c.cmd_id == cmd_id).values(
                    state=body["status"], result=dumps(body), updated_at=now_iso()))
            auditlog.record(conn, f"station:{station}", "command.result", str(cmd_id), status=body["status"],
                            detail=body.get("detail", "")[:200])

    # ---- rpc thread ----------------------------------------------------------------------------
    def _rpc_loop(self) -> None:
        while not self._stop.is_set():
            msg = self._rpcq.get()
            if msg is None:
                return
            try:
                self._serve(msg)
            except Exception:
                log.exception("rpc on %s failed", msg.topic)

    def calls_for(self, station: str) -> BackOffice:
        """What answers the calls of this station (the station whose topic the request came on)."""
        return StationCalls(self.engine, station, pay_after_s=self.pay_after_s, provider=self.provider,
                            photos=self.photos, photo_guard=self.photo_guard, applicant_key=self.applicant_key)

    def _serve(self, msg: mqtt.MQTTMessage) -> None:
        station = topics.parse(msg.topic)[0]  # type: ignore[index]
        corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
        try:
            body = json.loads(msg.payload)
        except (ValueError, UnicodeDecodeError):
            body = None
        problem = fastcheck.check("rpc_request", body)
        if problem:
            self._refuse(station, msg.topic, problem)
            call_id = body.get("call_id") if isinstance(body, dict) else None
            resp: dict[str, Any] = {"call_id": call_id if isinstance(call_id, str) else
                                    "00000000-0000-0000-0000-000000000000",
                                    "ok": False, "error": {"code": "invalid", "detail": f"request breaks the contract: "
                                                                                      f"{problem}"[:500]}}
        else:
            resp = {"call_id": body["call_id"]}
            try:
                if time.time() > body["deadline"]:
                    raise BackofficeError("timeout", "request arrived after its deadline")
                kwargs = rpc.decode_args(body["method"], body["args"])
                result = getattr(self.calls_for(station), body["method"])(**kwargs)
                resp.update(ok=True, result=rpc.encode_result(result))
            except BackofficeError as exc:
                resp.update(ok=False, error={"code": exc.code, "detail": exc.detail[:500]})
            except SQLAlchemyError as exc:
                self.stats.db_errors += 1
                log.error("database error serving %s: %s", body.get("method"), exc)
                resp.update(ok=False, error={"code": "offline", "detail": "the office database is unavailable"})
            except Exception as exc:  # a bug answers at once, not with the station's timeout
                log.exception("rpc %s failed", body.get("method"))
                resp.update(ok=False, error={"code": "rejected", "detail": f"{exc.__class__.__name__}: {exc}"[:500]})
        if self.signing_key is not None and "ok" in resp:
            resp["sig"] = signing.sign_answer(resp, self.signing_key)
        self.stats.rpc_served += 1
        props = Properties(PacketTypes.PUBLISH)
        if corr is not None:
            props.CorrelationData = corr
        self.publish(topics.rpc_response(station), json.dumps(resp, ensure_ascii=False).encode(), 1, False, props)
