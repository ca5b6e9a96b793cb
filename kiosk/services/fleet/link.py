"""`FleetLink`: the station's one MQTT 5 connection to the back office, run by ONE thread.

The link thread owns the paho client: it connects, runs `client.loop()`, and is the only code that
publishes. paho's callbacks only put what happened on an inbox queue; the thread then handles it
(ack, command, desired settings, RPC response). Other threads (the command worker, the back-office
RPC transport) hand messages to `publish()` which queues them for the link thread. Any exception
while handling one message is logged and the loop goes on: a handler never kills the link.

Delivery: events are read from the SQLite outbox in `seq` order and published QoS 1 on
`evt/{type}`, at most `drain_batch` beyond the back office's last `ack`. Rows are deleted only when
`ack {upto_seq}` arrives; after a reconnect, an `ack` naming missing seqs, or `ack_timeout_s`
without progress, the link resends from the last ack (the back office de-duplicates on event_id).

Connection: MQTT 5, `clean_start=False` with an explicit SessionExpiryInterval, a retained
`status` (`online`/`maintenance`) and a retained last will `offline` with a will delay. Reconnects
use exponential back-off with full jitter; the first retry after losing an established connection
waits a random time in [0, reconnect_spread_s] so that a broker restart does not bring every
station back in the same second. Commands arrive with `manual_ack=True`: the PUBACK is sent only
after `CommandProcessor.receive()` has stored the command.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import sqlite3
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from kiosk.core.clock import Clock, SystemClock
from kiosk.services.fleet import contract, signing, topics
from kiosk.services.fleet.commands import CommandProcessor, Job
from kiosk.services.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass
class LinkSettings:
    kiosk_id: str
    broker: str  # mqtt://host:port or mqtts://host:port
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = 30
    session_expiry_s: int = 86400
    will_delay_s: int = 30
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 120.0
    reconnect_spread_s: float = 15.0
    connect_timeout_s: float = 10.0
    heartbeat_s: float = 60.0
    drain_batch: int = 200
    ack_timeout_s: float = 30.0
    sw_version: str = "0.1.0"

    @classmethod
    def from_config(cls, kiosk_id: str, fleet: Any, **over: Any) -> LinkSettings:
        password = None
        if fleet.password_file:
            with open(fleet.password_file, encoding="utf-8") as f:
                password = f.read().strip()
        return cls(kiosk_id=kiosk_id, broker=fleet.broker, username=fleet.username or kiosk_id, password=password,
                   ca_file=fleet.ca_file, cert_file=fleet.cert_file, key_file=fleet.key_file,
                   keepalive_s=fleet.keepalive_s, session_expiry_s=fleet.session_expiry_s,
                   will_delay_s=fleet.will_delay_s, reconnect_min_s=fleet.reconnect_min_s,
                   reconnect_max_s=fleet.reconnect_max_s, reconnect_spread_s=fleet.reconnect_spread_s,
                   heartbeat_s=fleet.heartbeat_s, drain_batch=fleet.drain_batch, ack_timeout_s=fleet.ack_timeout_s,
                   **over)


def parse_broker(url: str) -> tuple[str, int, bool]:
    u = urlparse(url)
    if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
        raise ValueError(f"broker {url!r}: expected mqtt://host:port or mqtts://host:port")
    tls = u.scheme == "mqtts"
    return u.hostname, u.port or (8883 if tls else 1883), tls


def full_jitter(attempt: int, lo: float, hi: float, rng: random.Random) -> float:
    """Exponential back-off with full jitter: uniform in [lo/2, min(hi, lo * 2**attempt)]."""
    cap = min(hi, lo * (2 ** min(attempt, 30)))
    return rng.uniform(lo / 2, max(lo / 2, cap))


@dataclass
class LinkStats:
    connects: int = 0
    disconnects: int = 0
    connect_failures: int = 0
    events_published: int = 0
    events_resent: int = 0
    acks: int = 0
    foreign_acks: int = 0  # acks naming another stream (an older store's): ignored
    commands: int = 0
    handler_errors: int = 0
    unstored_commands: int = 0
    last_error: str = ""
    reconnect_delays: list[float] = field(default_factory=list)


class FleetLink:
    def __init__(self, settings: LinkSettings, outbox: Outbox, *, clock: Clock | None = None,
                 processor: CommandProcessor | None = None,
                 health_source: Callable[[], dict[str, Any]] | None = None,
                 desired_handler: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 desired_key: Any = None, rng: random.Random | None = None, external_loop: bool = False) -> None:
        self.s = settings
        self.kid = settings.kiosk_id
        self.outbox = outbox
        self.clock = clock or SystemClock()
        self.processor = processor
        self.health_source = health_source
        self.desired_handler = desired_handler
        self.desired_key = desired_key
        self.rng = rng or random.Random()
        self.external_loop = external_loop
        self.stats = LinkStats()
        self.state = "online"  # or "maintenance" (what `status` says while connected)
        self._host, self._port, self._tls = parse_broker(settings.broker)
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._outq: queue.Queue[tuple[str, bytes, int, bool, Properties | None]] = queue.Queue()
        self._rpc_listeners: list[Callable[[bytes, bytes | None], None]] = []
        self._stop = threading.Event()
        self._abort = False
        self._gen = 0
        self._connected = threading.Event()
        self._phase = "down"  # down | connecting | up
        self._attempt = 0
        self._next_attempt = 0.0
        self._connect_started = 0.0
        self._base = 0  # highest seq the back office acknowledged (or dropped before it)
        self._last_sent = 0
        self._last_progress = time.monotonic()
        self._last_rewind = 0.0
        self._last_floor_health = 0.0
        self._want_drain = True
        self._reported_dropping = False
        self._restart_session_at = 0.0
        self.held = False  # hold(True): the cable is pulled (simulated outages)
        self._last_drain_check = 0.0
        self._next_health = 0.0
        self._thread: threading.Thread | None = None
        self._worker: threading.Thread | None = None
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self.client = self._make_client()

    # ---- public (any thread) --------------------------------------------------------------------
    def start(self) -> None:
        if self.processor is not None:
            for res in self.processor.recover():
                self._queue_res(res, None)
            self._worker = threading.Thread(target=self._work, name=f"fleet-cmd-{self.kid}", daemon=True)
            self._worker.start()
        self._thread = threading.Thread(target=self._run, name=f"fleet-link-{self.kid}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish `offline` (when connected), disconnect cleanly and end both threads."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._jobs.put(None)
        if self._worker:
            self._worker.join(timeout)

    def abort(self, timeout: float = 5.0) -> None:
        """Stop like a crash would: close the socket without DISCONNECT (the broker then publishes
        the last will after its delay). For fault tests and emergency shutdown."""
        self._abort = True
        self.stop(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                properties: Properties | None = None) -> None:
        """Queue a message for the link thread (thread-safe). Sent only while connected."""
        self._outq.put((topic, payload, qos, retain, properties))

    def add_rpc_listener(self, cb: Callable[[bytes, bytes | None], None]) -> None:
        """`cb(payload, correlation_data)` runs on the link thread for each `rpc/res` message."""
        self._rpc_listeners.append(cb)

    def hold(self, on: bool) -> None:
        """Keep the link down (on) as a pulled network cable would, or let it connect again (off).
        For simulated outages (`make run`'s scripted visits); the outbox keeps every event meanwhile."""
        self.held = bool(on)
        self._inbox.put(("hold", self.held))

    def set_state(self, state: str) -> None:
        self.state = state
        self._inbox.put(("republish_status", None))

    # ---- paho client and callbacks (callbacks only enqueue) --------------------------------------
    def _make_client(self) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.kid, protocol=mqtt.MQTTv5,
                        manual_ack=True, reconnect_on_failure=False)
        if self.s.username:
            c.username_pw_set(self.s.username, self.s.password)
        if self._tls:
            c.tls_set(ca_certs=self.s.ca_file, certfile=self.s.cert_file, keyfile=self.s.key_file,
                      cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        c.max_inflight_messages_set(max(20, min(self.s.drain_batch, 1000)))
        # tagged with the connection generation: a late callback of an old connection is ignored
        c.on_connect = lambda cl, ud, flags, rc, props: self._inbox.put(("connect", (rc, flags, self._gen)))
        c.on_disconnect = lambda cl, ud, flags, rc, props: self._inbox.put(("disconnect", (rc, self._gen)))
        c.on_message = lambda cl, ud, msg: self._inbox.put(("message", msg))
        return c

    def _status_payload(self, state: str, **extra: Any) -> bytes:
        body = {"state": state, "boot_id": self.outbox.boot_id, "sw": self.s.sw_version,
                "ts": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"), **extra}
        if self.outbox.stream:
            body["stream"] = self.outbox.stream
        return json.dumps(body).encode()

    # ---- the link thread -------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception as exc:  # the link survives anything one step does
                self.stats.handler_errors += 1
                self.stats.last_error = f"{exc.__class__.__name__}: {exc}"
                log.exception("fleet link step failed; continuing")
                time.sleep(0.05)
        self._shutdown()

    def tick(self) -> None:
        """External-loop mode (`external_loop=True`): one non-blocking step, called by the owner of a
        selector that serves many links on one thread (hw_sim.fleet_sim); the owner calls
        `client.loop_read()` when the link's socket is readable."""
        try:
            self._step()
        except Exception as exc:
            self.stats.handler_errors += 1
            self.stats.last_error = f"{exc.__class__.__name__}: {exc}"
            log.exception("fleet link step failed; continuing")

    def _step(self) -> None:
        now = time.monotonic()
        if self.held and self._phase != "down":
            self._lost("held down (cable pulled)", established=True)
            return
        if self._phase == "down":
            if now >= self._next_attempt and not self.held:
                self._connect()
            else:
                self._handle_inbox()
                if not self.external_loop:
                    time.sleep(0.05 if self.held else min(0.05, max(0.0, self._next_attempt - now)))
                return
        if self.outbox.new_event.is_set():
            self.outbox.new_event.clear()
            self._want_drain = True
        elif now - self._last_drain_check >= 1.0:  # safety net: an add that woke nobody waits <= 1 s
            self._want_drain = True
        if self._want_drain:
            self._last_drain_check = now
        if self.external_loop:
            self.client.loop_misc()
            if self.client.want_write():
                self.client.loop_write()
        else:
            busy = self._phase == "up" and (not self._outq.empty() or self._want_drain)
            rc = self.client.loop(timeout=0.0 if busy else 0.05)
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_AGAIN) and self._phase != "down":
                self._inbox.put(("disconnect", (rc, self._gen)))
        self._handle_inbox()
        if self._phase == "connecting" and time.monotonic() - self._connect_started > self.s.connect_timeout_s:
            self._lost(f"no CONNACK within {self.s.connect_timeout_s} s", established=False)
        if self._phase == "up" and self._restart_session_at and time.monotonic() >= self._restart_session_at:
            self._restart_session_at = 0.0
            self._lost("reconnecting to get an unstored command redelivered", established=True)
            return
        if self._phase == "up":
            if self.external_loop:
                self._run_jobs_inline()
            self._flush_outq()
            self._drain()
            self._check_ack_timeout()
            if time.monotonic() >= self._next_health or self.outbox.dropping != self._reported_dropping:
                self._publish_health()  # at once when the outbox starts (or stops) dropping

    def _connect(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.s.session_expiry_s
        self._phase = "connecting"
        self._gen += 1
        self._connect_started = time.monotonic()
        will = Properties(PacketTypes.WILLMESSAGE)
        will.WillDelayInterval = self.s.will_delay_s
        self.client.will_set(topics.status(self.kid), self._status_payload("offline", reason="will"), qos=1,
                             retain=True, properties=will)  # ts = when this connection was made
        try:
            self.client.connect(self._host, self._port, keepalive=self.s.keepalive_s, clean_start=False,
                                properties=props)
        except (OSError, ssl.SSLError, ValueError) as exc:
            self._lost(f"connect failed: {exc}", established=False)

    def _lost(self, why: str, established: bool) -> None:
        was_up = self._phase == "up"
        self._phase = "down"
        self._connected.clear()
        try:
            self.client.disconnect()  # closes the socket if one is open
        except Exception:
            pass
        if not self.external_loop:
            try:
                self.client.loop(timeout=0.0)
            except Exception:
                pass
        if was_up or established:
            self.stats.disconnects += 1
            self._attempt = 0
            delay = self.rng.uniform(0.0, self.s.reconnect_spread_s) if self.s.reconnect_spread_s > 0 else \
                full_jitter(0, self.s.reconnect_min_s, self.s.reconnect_max_s, self.rng)
        else:
            self.stats.connect_failures += 1
            delay = full_jitter(self._attempt, self.s.reconnect_min_s, self.s.reconnect_max_s, self.rng)
            self._attempt += 1
        self.stats.reconnect_delays.append(round(delay, 3))
        del self.stats.reconnect_delays[:-50]
        self._next_attempt = time.monotonic() + delay
        self.stats.last_error = why
        log.warning("fleet link to %s:%d down (%s); retry in %.1f s", self._host, self._port, why, delay)

    def _handle_inbox(self) -> None:
        for _ in range(1000):
            try:
                kind, item = self._inbox.get_nowait()
            except queue.Empty:
                return
            try:
                if kind == "connect":
                    rc, flags, gen = item
                    if gen == self._gen and self._phase == "connecting":
                        self._on_connected(rc, flags)
                elif kind == "disconnect":
                    rc, gen = item
                    if gen == self._gen and self._phase != "down":
                        self._lost(f"disconnected (rc={rc})", established=self._phase == "up")
                elif kind == "message":
                    self._on_message(item)
                elif kind == "hold" and not item and self._phase == "down":
                    self._next_attempt = time.monotonic()  # the cable is back: connect at once
                elif kind == "republish_status" and self._phase == "up":
                    self.client.publish(topics.status(self.kid), self._status_payload(self.state), qos=1, retain=True)
            except Exception as exc:
                self.stats.handler_errors += 1
                self.stats.last_error = f"{kind}: {exc.__class__.__name__}: {exc}"
                log.exception("fleet link: handling %s failed; link continues", kind)

    def _on_connected(self, rc: Any, flags: Any) -> None:
        if getattr(rc, "is_failure", False):
            self._lost(f"broker refused the connection: {rc}", established=False)
            return
        self._phase = "up"
        self._attempt = 0
        self.stats.connects += 1
        k = self.kid
        # the retained desired document only on a new subscription: a resumed session does not
        # replay it (and a replay is refused by version anyway, see _on_desired)
        desired_opts = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_SEND_IF_NEW_SUB)
        self.client.subscribe([(topics.ack(k), SubscribeOptions(qos=1)), (topics.command(k, "+"), SubscribeOptions(qos=1)),
                               (topics.desired(k), desired_opts), (topics.rpc_response(k), SubscribeOptions(qos=1))])
        self.client.publish(topics.status(k), self._status_payload(self.state), qos=1, retain=True)
        st = self.outbox.stats()
        self._base = (st.first_seq - 1) if st.first_seq else st.last_seq
        self._last_sent = self._base  # resend everything not yet acknowledged by the back office
        self._want_drain = True
        self._last_progress = time.monotonic()
        self._next_health = 0.0
        self._connected.set()
        log.info("fleet link up: %s:%d (session present: %s)", self._host, self._port,
                 getattr(flags, "session_present", None))

    def _on_message(self, msg: mqtt.MQTTMessage) -> None:
        parsed = topics.parse(msg.topic)
        acknowledge = True
        try:
            if parsed is None or parsed[0] != self.kid:
                log.warning("message on foreign topic %r ignored", msg.topic[:120])
                return
            _, kind, rest = parsed
            if kind == "ack" and not rest:
                self._on_ack(msg.payload)
            elif kind == "cmd" and rest and "/" not in rest:
                self._on_command(rest, msg)
            elif kind == "desired" and not rest:
                self._on_desired(msg.payload)
            elif kind == "rpc" and rest == "res":
                corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
                for cb in list(self._rpc_listeners):
                    cb(msg.payload, corr)
            else:
                log.warning("message on unexpected topic %r ignored", msg.topic[:120])
        except sqlite3.Error as exc:
            acknowledge = False  # not stored: no PUBACK, the broker redelivers on the next session
            self.stats.unstored_commands += 1
            log.error("command on %s could not be stored (%s); not acknowledged", msg.topic[:120], exc)
            self._schedule_session_restart()
        finally:
            if msg.qos > 0 and acknowledge:
                self.client.ack(msg.mid, msg.qos)  # after the command (if any) is stored

    def _schedule_session_restart(self) -> None:
        """An unacknowledged message is redelivered only in a new session: reconnect soon (the
        outbox and the session survive; nothing is lost by it)."""
        self._restart_session_at = time.monotonic() + min(5.0, self.s.ack_timeout_s)

    def _on_ack(self, payload: bytes) -> None:
        body = _checked("ack", payload)
        if body is None:
            return
        if body.get("stream", self.outbox.stream) != self.outbox.stream:
            # the back office's mark of another store under this station id (an old stream): not ours
            self.stats.foreign_acks += 1
            log.warning("ack for stream %s ignored (this store's stream is %s)", body["stream"], self.outbox.stream)
            return
        self.stats.acks += 1
        upto = body["upto_seq"]
        if upto > self._last_sent:
            # an ack can only cover what was sent: a higher mark is the back office's memory of
            # another store under this station id (reinstalled, restored, a fresh simulated root);
            # trusting it would delete events produced but not yet sent
            log.warning("ack for seq %d but only up to %d sent; releasing only what was sent", upto, self._last_sent)
            upto = self._last_sent
        self.outbox.ack(upto)
        upto = min(upto, self.outbox.stats().last_seq)
        if upto > self._base:
            self._base = upto
            self._last_progress = time.monotonic()
            self._want_drain = True
        if self._last_sent < self._base:
            self._last_sent = self._base
        if body["upto_seq"] < self._base and time.monotonic() - self._last_floor_health > 1.0:
            # the back office waits for seqs this station dropped: tell it the floor now (health)
            self._last_floor_health = time.monotonic()
            self._publish_health()
        if body.get("missing") and min(body["missing"]) <= self._last_sent \
                and time.monotonic() - self._last_rewind > min(1.0, self.s.ack_timeout_s):
            self._rewind("the back office reports missing seqs")

    def _rewind(self, why: str) -> None:
        first = self.outbox.stats().first_seq
        if first is not None and first - 1 > self._base:  # rows dropped by the bound meanwhile
            self._base = first - 1
        if self._last_sent > self._base:
            self.stats.events_resent += self._last_sent - self._base
            log.info("resending from seq %d: %s", self._base + 1, why)
            self._last_sent = self._base
        self._want_drain = True
        self._last_progress = self._last_rewind = time.monotonic()

    def _check_ack_timeout(self) -> None:
        if self._last_sent > self._base and time.monotonic() - self._last_progress > self.s.ack_timeout_s:
            self._rewind(f"no ack for {self.s.ack_timeout_s} s")

    def _drain(self) -> None:
        """Publish outbox rows after the last one sent, while the window beyond the last ack has
        room. Runs only when something changed (new event, ack progress, rewind, connect), so an
        idle link costs no SQL."""
        if not self._want_drain:
            return
        room = self.s.drain_batch - (self._last_sent - self._base)
        while room > 0:
            events = self.outbox.pending(self._last_sent, min(room, 200))
            if not events:
                self._want_drain = False
                return
            for ev in events:
                info = self.client.publish(topics.event(self.kid, ev.type),
                                           json.dumps(ev.payload(), ensure_ascii=False).encode(), qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    return
                self._last_sent = ev.seq
                self.stats.events_published += 1
                room -= 1
        self._want_drain = False  # window full: the next ack re-arms it

    def _flush_outq(self) -> None:
        for _ in range(500):
            try:
                topic, payload, qos, retain, props = self._outq.get_nowait()
            except queue.Empty:
                return
            self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)

    def _publish_health(self) -> None:
        self._next_health = time.monotonic() + self.s.heartbeat_s
        devices: dict[str, Any] = {}
        if self.health_source is not None:
            try:
                raw = self.health_source()
                devices = {str(k): v if isinstance(v, dict) else {"value": v} for k, v in dict(raw).items()}
            except Exception as exc:
                devices = {"health_source": {"status": "hardware_error", "detail": str(exc)[:200]}}
        stats = self.outbox.stats()
        self._reported_dropping = stats.dropping
        if stats.dropping:
            log.warning("outbox is dropping events: %d dropped in total, %d pending (bound %d)",
                        stats.dropped_total, stats.pending, stats.max_events)
        body = {"ts": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "boot_id": self.outbox.boot_id, "devices": devices,
                "outbox": stats.as_health(),
                "link": {"connects": self.stats.connects, "disconnects": self.stats.disconnects,
                         "resent": self.stats.events_resent}}
        if self.outbox.stream:
            body["stream"] = self.outbox.stream
        self.client.publish(topics.health(self.kid), json.dumps(body).encode(), qos=1, retain=True)

    # ---- commands and desired settings ----------------------------------------------------------
    def _on_command(self, name: str, msg: mqtt.MQTTMessage) -> None:
        self.stats.commands += 1
        corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
        if self.processor is None:
            res = {"cmd_id": None, "status": "rejected", "reason": "no_key", "detail": "this station takes no commands",
                   "ts": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")}
            self._publish_res(res, corr)
            return
        decision = self.processor.receive(name, msg.payload, corr)  # stored before the PUBACK (in finally)
        self._publish_res(decision.response, corr)
        if decision.job is not None:
            self._jobs.put(decision.job)

    def _publish_res(self, res: dict[str, Any], corr: bytes | None) -> None:
        props = Properties(PacketTypes.PUBLISH)
        if corr is None and res.get("cmd_id"):
            corr = str(res["cmd_id"]).encode()
        if corr is not None:
            props.CorrelationData = corr
        # the response always goes to our own res topic, whatever Response Topic the message named
        self.client.publish(topics.result(self.kid), json.dumps(res, ensure_ascii=False).encode(), qos=1,
                            properties=props)

    def _queue_res(self, res: dict[str, Any], corr: bytes | None) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = corr or str(res.get("cmd_id") or "").encode()
        self.publish(topics.result(self.kid), json.dumps(res, ensure_ascii=False).encode(), 1, False, props)

    def _run_jobs_inline(self) -> None:
        """External-loop mode has no worker thread: commands run here (sim targets are instant)."""
        while not self._jobs.empty():
            job = self._jobs.get_nowait()
            if job is not None and self.processor is not None:
                res = self.processor.execute(job)
                self._after_job(job, res)
                self._queue_res(res, job.cmd_id.encode())

    def _after_job(self, job: Job, res: dict[str, Any]) -> None:
        if job.name == "set_maintenance" and res.get("status") == "done":
            self.set_state("maintenance" if job.args.get("on") else "online")  # retained status follows

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                res = self.processor.execute(job)  # type: ignore[union-attr]
                self._after_job(job, res)
                self._queue_res(res, job.cmd_id.encode())
            except Exception:
                log.exception("command worker: %s failed", job.cmd_id)

    def _desired_versions(self) -> Any:
        if getattr(self, "_desired", None) is None:
            from kiosk.services.fleet.desired import DesiredVersions

            self._desired = DesiredVersions(self.outbox.store)
        return self._desired

    def _on_desired(self, payload: bytes) -> None:
        body = _checked("desired", payload)
        if body is None:
            return
        errors: list[str] = []
        applied: dict[str, Any] = {}
        if self.desired_key is None or not signing.verify_document(body, self.kid, self.desired_key):
            errors.append("desired settings not applied: missing or bad signature")
        elif not self._desired_versions().accept(body["version"]):
            errors.append(f"desired settings version {body['version']} not applied: not newer than the applied "
                          f"version {self._desired_versions().applied()} (a replay or a rollback)")
        elif self.desired_handler is not None:
            try:
                applied = self.desired_handler(body["settings"]) or {}
            except Exception as exc:
                errors.append(f"{exc.__class__.__name__}: {exc}"[:300])
        reported = {"version": body["version"], "settings": applied,
                    "ts": self.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")}
        if errors:
            reported["errors"] = errors
        self.client.publish(topics.reported(self.kid), json.dumps(reported).encode(), qos=1, retain=True)

    def _shutdown(self) -> None:
        if self._abort:
            sock = self.client.socket()
            if sock is not None:
                sock.close()
            self._connected.clear()
            self._phase = "down"
            return
        try:
            if self._phase == "up":
                info = self.client.publish(topics.status(self.kid), self._status_payload("offline", reason="shutdown"),
                                           qos=1, retain=True)
                deadline = time.monotonic() + 2
                while not info.is_published() and time.monotonic() < deadline:
                    self.client.loop(timeout=0.05)
            self.client.disconnect()
            self.client.loop(timeout=0.1)
        except Exception:
            log.debug("fleet link shutdown", exc_info=True)
        self._connected.clear()
        self._phase = "down"


def _checked(kind: str, payload: bytes) -> Any:
    """The payload as JSON if it fits the contract's `kind` schema; otherwise None, logged."""
    try:
        body = json.loads(payload)
    except ValueError:
        log.warning("%s: not JSON; ignored", kind)
        return None
    problem = contract.check(kind, body)
    if problem:
        log.warning("%s ignored: %s", kind, problem)
        return None
    return body
