"""The simulated back office on a real broker: what the authorities' fleet server does.

`MqttBackOfficeSim` connects as user `backoffice` (persistent MQTT 5 session) and:
- stores every station event once, de-duplicated by `(station, event_id)` (SQLite, `db_path`);
- keeps per station the highest contiguous `seq` stored and acknowledges it (`ack {upto_seq}`,
  throttled to one per `ack_interval_s` per station); seqs missing above it are a gap, named in
  the ack's `missing` list so the station resends; an `outbox.dropped` event declares a range lost;
- serves the station's back-office calls (`rpc/req` -> `rpc/res` with the same correlation data)
  by delegating to an in-process `BackOffice` (default `hw_sim.backoffice.SimBackOffice`, which
  approves cases and issues results);
- signs and sends commands (`send_command`) and collects their `res` answers.

One thread runs the paho loop; callbacks only enqueue; that thread stores, acks and answers.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from kiosk.services.backoffice import BackOffice, BackofficeError
from kiosk.services.fleet import contract, rpc, signing, topics
from kiosk.services.fleet.link import parse_broker
from kiosk.services.outbox import DROPPED_EVENT, uuid7

log = logging.getLogger(__name__)


@dataclass
class StationTrack:
    upto: int = 0
    above: set[int] = field(default_factory=set)
    declared_lost: int = 0
    duplicates: int = 0
    dirty: bool = False
    last_ack: float = 0.0
    status: dict[str, Any] | None = None
    health: dict[str, Any] | None = None
    reported: dict[str, Any] | None = None

    def missing(self, limit: int = 100) -> list[int]:
        if not self.above:
            return []
        top = max(self.above)
        return [s for s in range(self.upto + 1, top) if s not in self.above][:limit]


class PhotoGuard:
    """Reference photos only for the applicant whose card was read in that visit (security finding 17):
    a request must name its visit; one applicant per (station, visit); at most `per_hour` answers per
    station per hour. A refusal is counted (an alarm for the operators), never answered."""

    def __init__(self, per_hour: int = 60) -> None:
        self.per_hour = per_hour
        self.visits: dict[tuple[str, str], str] = {}
        self.times: dict[str, list[float]] = defaultdict(list)
        self.refused: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def check(self, station: str, id_number: str, session: str) -> None:
        with self._lock:
            why = ""
            now = time.monotonic()
            recent = [t for t in self.times[station] if now - t < 3600]
            known = self.visits.get((station, session))
            if not session:
                why = "reference photo refused: the request names no visit (card read) at the station"
            elif known is not None and known != id_number:
                why = "reference photo refused: another applicant was already asked for in this visit"
            elif known is None and len(recent) >= self.per_hour:
                why = f"reference photo refused: more than {self.per_hour} per hour from this station"
            if why:
                self.refused.append((station, why))
                log.warning("%s: %s", station, why)
                raise BackofficeError("rejected", why)
            if known is None:
                recent.append(now)
                self.visits[(station, session)] = id_number
            self.times[station] = recent
            if len(self.visits) > 10_000:
                self.visits.pop(next(iter(self.visits)))


class MqttBackOfficeSim:
    def __init__(self, broker: str, password: str, *, username: str = "backoffice", db_path: str = ":memory:",
                 signing_key: Any = None, delegate: BackOffice | None = None, ack_interval_s: float = 0.05,
                 session_expiry_s: int = 3600, ca_file: str | None = None,
                 client_cert: tuple[str, str] | None = None, validate: bool = True,
                 photos_per_hour: int = 60) -> None:
        self.host, self.port, tls = parse_broker(broker)
        self.photo_guard = PhotoGuard(photos_per_hour)
        self.key = signing_key
        self.delegate = delegate
        self.ack_interval_s = ack_interval_s
        self.validate = validate
        self.session_expiry_s = session_expiry_s
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS events (station TEXT, event_id TEXT, seq INTEGER, type TEXT, "
                        "ts TEXT, boot_id TEXT, data TEXT, PRIMARY KEY (station, event_id))")
        self.db.execute("CREATE TABLE IF NOT EXISTS tracks (station TEXT PRIMARY KEY, upto INTEGER, above TEXT)")
        self.lock = threading.RLock()
        self.tracks: dict[str, StationTrack] = defaultdict(StationTrack)
        for st, upto, above in self.db.execute("SELECT station, upto, above FROM tracks"):
            self.tracks[st] = StationTrack(upto=upto, above=set(json.loads(above)))
        self.results: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.contract_violations: list[str] = []
        self.rpc_served = 0
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._outq: queue.Queue[tuple[str, bytes, int, bool, Properties | None]] = queue.Queue()
        self._stop = threading.Event()
        self._up = threading.Event()
        self._thread: threading.Thread | None = None
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=username, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        if tls:
            self.client.tls_set(ca_certs=ca_file, certfile=client_cert[0] if client_cert else None,
                                keyfile=client_cert[1] if client_cert else None)
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = lambda c, u, f, rc, p: self._inbox.put(("connect", rc))
        self.client.on_disconnect = lambda c, u, f, rc, p: self._inbox.put(("disconnect", rc))
        self.client.on_message = lambda c, u, m: self._inbox.put(("message", m))

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self, wait: float = 10.0) -> MqttBackOfficeSim:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sim-backoffice", daemon=True)
        self._thread.start()
        if not self._up.wait(wait):
            raise RuntimeError(f"sim back office could not connect to {self.host}:{self.port}")
        return self

    def stop(self) -> None:
        """Disconnect (the persistent session stays on the broker: messages queue for us)."""
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self._up.clear()

    def close(self) -> None:
        self.stop()
        self.db.close()

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def _run(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.session_expiry_s
        next_try = 0.0
        connected = False
        while not self._stop.is_set():
            try:
                if not connected and time.monotonic() >= next_try:
                    try:
                        self.client.connect(self.host, self.port, keepalive=10, clean_start=False, properties=props)
                        connected = True
                    except OSError:
                        next_try = time.monotonic() + 0.3
                        continue
                if connected:
                    rc = self.client.loop(timeout=0.01)
                    if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN):
                        connected = False
                        self._up.clear()
                        next_try = time.monotonic() + 0.3
                else:
                    time.sleep(0.02)
                connected = self._handle_inbox(connected)
                if self._up.is_set():
                    self._flush()
            except Exception:
                log.exception("sim back office loop step failed; continuing")
        try:
            self.client.disconnect()
            self.client.loop(timeout=0.1)
        except Exception:
            pass

    def _handle_inbox(self, connected: bool) -> bool:
        batch: list[tuple[str, dict[str, Any]]] = []
        for _ in range(5000):
            try:
                kind, item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "connect":
                if getattr(item, "is_failure", False):
                    log.warning("sim back office refused: %s", item)
                    continue
                self.client.subscribe([("k/v1/+/evt/#", 1), ("k/v1/+/status", 1), ("k/v1/+/health", 1),
                                       ("k/v1/+/res", 1), ("k/v1/+/rpc/req", 1), ("k/v1/+/reported", 1)])
                self._up.set()
            elif kind == "disconnect":
                self._up.clear()
                connected = False
            elif kind == "message":
                try:
                    ev = self._on_message(item)
                    if ev:
                        batch.append(ev)
                except Exception:
                    log.exception("sim back office: message on %s failed", item.topic)
        if batch:
            self._store(batch)
        return connected

    # ---- incoming ------------------------------------------------------------------------------
    def _check(self, name: str, body: Any, topic: str) -> bool:
        if not self.validate:
            return True
        problem = contract.check(name, body)
        if problem:
            self.contract_violations.append(f"{topic}: {problem}")
            log.warning("contract violation on %s: %s", topic, problem)
            return False
        return True

    def _on_message(self, msg: mqtt.MQTTMessage) -> tuple[str, dict[str, Any]] | None:
        parsed = topics.parse(msg.topic)
        if parsed is None:
            return None
        station, kind, rest = parsed
        try:
            body = json.loads(msg.payload) if msg.payload else None
        except ValueError:
            self.contract_violations.append(f"{msg.topic}: not JSON")
            return None
        if kind == "evt":
            if self._check("event", body, msg.topic):
                return station, body
        elif kind in ("status", "health", "reported") and body is not None:
            if self._check(kind, body, msg.topic):
                with self.lock:
                    setattr(self.tracks[station], kind, body)
                if kind == "health":
                    self._declare_floor(station, body["outbox"])
        elif kind == "res":
            if self._check("result", body, msg.topic):
                with self.lock:
                    self.results[str(body.get("cmd_id"))].append(body)
        elif kind == "rpc" and rest == "req":
            self._serve_rpc(station, body, msg)
        return None

    def _store(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        with self.lock:
            self.db.execute("BEGIN")
            for station, ev in batch:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO events(station, event_id, seq, type, ts, boot_id, data) VALUES (?,?,?,?,?,?,?)",
                    (station, ev["event_id"], ev["seq"], ev["type"], ev["ts"], ev["boot_id"],
                     json.dumps(ev["data"], ensure_ascii=False)))
                t = self.tracks[station]
                t.dirty = True
                if cur.rowcount == 0:
                    t.duplicates += 1
                else:
                    self._apply_fact(station, ev)
                if ev["seq"] > t.upto:
                    t.above.add(ev["seq"])
                if ev["type"] == DROPPED_EVENT:
                    d = ev["data"]
                    # cumulative: every seq <= to_seq not received by now is lost
                    for s in range(t.upto + 1, min(d.get("to_seq", 0), ev["seq"] - 1) + 1):
                        if s not in t.above:
                            t.above.add(s)
                            t.declared_lost += 1
                while t.upto + 1 in t.above:
                    t.upto += 1
                    t.above.discard(t.upto)
            for station in {s for s, _ in batch}:
                t = self.tracks[station]
                self.db.execute("INSERT OR REPLACE INTO tracks(station, upto, above) VALUES (?,?,?)",
                                (station, t.upto, json.dumps(sorted(t.above))))
            self.db.execute("COMMIT")

    def _apply_fact(self, station: str, ev: dict[str, Any]) -> None:
        """Durable facts the station reports as events (MqttBackOffice.report_status/submit_rating),
        applied once per event id."""
        if self.delegate is None or ev["type"] not in ("backoffice.report_status", "backoffice.rating"):
            return
        try:
            if ev["type"] == "backoffice.report_status":
                d = ev["data"]
                self.delegate.report_status(d["case_no"], d["status"], d.get("note_zh", ""), d.get("note_en", ""))
            else:
                from kiosk.services.backoffice import Rating, from_dict
                self.delegate.submit_rating(from_dict(Rating, ev["data"]))
        except Exception as exc:  # a fact the back office cannot apply is logged, still stored
            log.warning("station %s: %s %s not applied: %s", station, ev["type"], ev["event_id"], exc)

    def _declare_floor(self, station: str, ob: dict[str, Any]) -> None:
        """Health names the oldest seq the station still holds: anything below it not received
        was dropped by the station's bound (declared lost, counted), never a gap to wait for."""
        floor = (ob["first_seq"] - 1) if ob.get("first_seq") else ob["last_seq"]
        with self.lock:
            t = self.tracks[station]
            if floor <= t.upto:
                return
            for s in range(t.upto + 1, floor + 1):
                if s not in t.above:
                    t.above.add(s)
                    t.declared_lost += 1
            while t.upto + 1 in t.above:
                t.upto += 1
                t.above.discard(t.upto)
            t.dirty = True

    def _flush(self) -> None:
        now = time.monotonic()
        with self.lock:
            for station, t in self.tracks.items():
                if t.dirty and now - t.last_ack >= self.ack_interval_s:
                    body: dict[str, Any] = {"upto_seq": t.upto}
                    missing = t.missing()
                    if missing:
                        body["missing"] = missing
                    self.client.publish(topics.ack(station), json.dumps(body).encode(), qos=1)
                    t.dirty, t.last_ack = False, now
        for _ in range(1000):
            try:
                topic, payload, qos, retain, props = self._outq.get_nowait()
            except queue.Empty:
                break
            self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)

    def _serve_rpc(self, station: str, body: Any, msg: mqtt.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
        if not self._check("rpc_request", body, msg.topic):
            call_id = body.get("call_id") if isinstance(body, dict) else None
            resp: dict[str, Any] = {"call_id": call_id if isinstance(call_id, str) else str(uuid.UUID(int=0)),
                                    "ok": False, "error": {"code": "invalid", "detail": "request breaks the contract"}}
        else:
            resp = {"call_id": body["call_id"]}
            try:
                if self.delegate is None:
                    raise BackofficeError("offline", "no back-office service behind the broker")
                if time.time() > body["deadline"]:
                    raise BackofficeError("timeout", "request arrived after its deadline")
                kwargs = rpc.decode_args(body["method"], body["args"])
                if body["method"] == "reference_photo":
                    self.photo_guard.check(station, kwargs["applicant"].id_number, kwargs.get("session", ""))
                result = getattr(self.delegate, body["method"])(**kwargs)
                resp.update(ok=True, result=rpc.encode_result(result))
            except BackofficeError as exc:
                resp.update(ok=False, error={"code": exc.code, "detail": exc.detail[:500]})
            except Exception as exc:
                log.exception("rpc %s failed", body.get("method"))
                resp.update(ok=False, error={"code": "rejected", "detail": f"{exc.__class__.__name__}: {exc}"[:500]})
        if getattr(self, "key", None) is not None and "ok" in resp:
            resp["sig"] = signing.sign_answer(resp, self.key)  # the station verifies identity answers
        self.rpc_served += 1
        props = Properties(PacketTypes.PUBLISH)
        if corr is not None:
            props.CorrelationData = corr
        self.client.publish(topics.rpc_response(station), json.dumps(resp, ensure_ascii=False).encode(), qos=1,
                            properties=props)

    # ---- commands and settings (any thread) ----------------------------------------------------
    def build_command(self, station: str, name: str, args: dict[str, Any], *, operator: str = "ops:sim",
                      ttl_s: int = 300, issued_at: int | None = None, cmd_id: str | None = None,
                      key: Any = None) -> dict[str, Any]:
        issued = int(time.time()) if issued_at is None else issued_at
        cmd = {"cmd_id": cmd_id or uuid7(), "kiosk_id": station, "name": name, "operator": operator,
               "issued_at": issued, "expires_at": issued + ttl_s, "args": args}
        k = key or self.key
        if k is not None:
            cmd["sig"] = signing.sign(cmd, k)
        return cmd

    def send_raw(self, station: str, name: str, payload: bytes, correlation: bytes | None = None,
                 ttl_s: int = 300) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = topics.result(station)
        if correlation is not None:
            props.CorrelationData = correlation
        props.MessageExpiryInterval = ttl_s
        self._outq.put((topics.command(station, name), payload, 1, False, props))

    def send_command(self, station: str, name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
        cmd = self.build_command(station, name, args, **kw)
        self.send_raw(station, name, json.dumps(cmd, ensure_ascii=False).encode(), cmd["cmd_id"].encode(),
                      ttl_s=max(1, cmd["expires_at"] - int(time.time())))
        return cmd

    def set_desired(self, station: str, version: int, settings: dict[str, Any], key: Any = None) -> dict[str, Any]:
        doc = {"kiosk_id": station, "version": version, "settings": settings}
        doc["sig"] = signing.sign_document(doc, key or self.key)
        self._outq.put((topics.desired(station), json.dumps(doc).encode(), 1, True, None))
        return doc

    def wait_result(self, cmd_id: str, status: str | None = None, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for r in self.results.get(cmd_id, []):
                    if status is None or r["status"] == status:
                        return r
            time.sleep(0.01)
        raise TimeoutError(f"no res {status or ''} for command {cmd_id} within {timeout} s "
                           f"(have {self.results.get(cmd_id)})")

    # ---- what the back office holds (any thread) -----------------------------------------------
    def event_ids(self, station: str) -> set[str]:
        with self.lock:
            return {r[0] for r in self.db.execute("SELECT event_id FROM events WHERE station = ?", (station,))}

    def seqs(self, station: str) -> list[int]:
        with self.lock:
            return [r[0] for r in self.db.execute(
                "SELECT DISTINCT seq FROM events WHERE station = ? ORDER BY seq", (station,))]

    def count(self, station: str | None = None) -> int:
        with self.lock:
            if station is None:
                return self.db.execute("SELECT count(*) FROM events").fetchone()[0]
            return self.db.execute("SELECT count(*) FROM events WHERE station = ?", (station,)).fetchone()[0]

    def track(self, station: str) -> StationTrack:
        with self.lock:
            return self.tracks[station]

    def wait_upto(self, station: str, seq: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.tracks[station].upto >= seq:
                    return True
            time.sleep(0.02)
        return False
