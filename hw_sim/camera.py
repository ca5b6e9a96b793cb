"""A simulated IP camera: an MJPEG-over-HTTP server on 127.0.0.1 that the REAL OpenCV camera
backend reads (`http://HOST:PORT/stream.mjpg`, OpenCV's FFMPEG backend), so the driver code
path is the production one (docs/adr/0041-camera-sim-mjpeg-http.md).

What it shows is a named frame source, switched at run time by the control command
`show(source=...)`. Built-in sources (synthetic scenes: see hw_sim/faces/synth.py):
- `holder`: the current identity (`set_person(identity=KEY)`) as a cooperating live person who
  keeps going through still / blink / turn left / turn right (any challenge is answered within
  one 2.8 s cycle, with no wiring needed); `holder_reactive` holds still and performs an
  action when told to (`act(action=blink|turn_left|turn_right)`, as a person reading the
  screen would: the simulated station forwards the verifier's `challenge` event); `holder_still`, `holder_blink`, `holder_turn_left`, `holder_turn_right`
  repeat one action only;
- `impostor`: another person (a different `person` of the sample identities), cooperating;
- `printed_photo`, `phone_screen`: the card photo held up on paper / on a phone;
- any still photograph added with `register_still(name, path)` (tests and benchmarks add real
  presentation-attack captures this way when they have them);
- `two_people`, `nobody`, `partial_face`.
Other simulators add sources with `register_source(name, factory)` (the document camera is a
second `CameraSim(sim_name="document_camera")` whose pages come from hw_sim/documents.py).

Fault injection: `unplug` (drops every client and answers 503 until `plug`), `drop_clients`.
Endpoints: `/stream.mjpg` (multipart/x-mixed-replace), `/snapshot.jpg`.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hw_sim.control import ControlError, SimDevice
from hw_sim.faces import synth
from hw_sim.identities import DEFAULT_IDENTITY, SAMPLE_IDENTITIES, get_identity, testdata_faces_dir

log = logging.getLogger(__name__)

FrameFactory = Callable[[], Iterable[np.ndarray]]
BOUNDARY = b"kioskframe"


class CameraSim(SimDevice):
    sim_name = "camera"

    def __init__(self, sim_name: str | None = None, fps: float = 25.0, identity: str = DEFAULT_IDENTITY,
                 source: str = "holder", jpeg_quality: int = 85, builtin_sources: bool = True) -> None:
        if sim_name:
            self.sim_name = sim_name
        self.fps = fps
        self.jpeg_quality = jpeg_quality
        self._identity = get_identity(identity).key
        self._sources: dict[str, FrameFactory] = {}
        self._cache: dict[tuple[str, str], list[np.ndarray]] = {}
        self._cond = threading.Condition()
        self._jpeg: bytes | None = None
        self._seq = 0
        self._generation = 0  # bumped to drop every streaming client
        self._plugged = True
        self._source = ""
        self._iter: Iterator[np.ndarray] = iter(())
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.frames_sent = 0
        self._pending_action: tuple[str, float] | None = None
        if builtin_sources:
            self._register_builtin()
        if source in self._sources:
            self._select(source)

    # -- sources ------------------------------------------------------------------------------
    def register_source(self, name: str, factory: FrameFactory) -> None:
        """Add a frame source: `factory()` returns an iterable of BGR frames (shown in order and
        started again when it ends)."""
        if not name.isidentifier():
            raise ValueError(f"source name {name!r} must be an identifier")
        self._sources[name] = factory

    def sources(self) -> list[str]:
        return sorted(self._sources)

    def _cached(self, key: str, build: Callable[[], list[np.ndarray]]) -> list[np.ndarray]:
        k = (key, self._identity)
        if k not in self._cache:
            self._cache[k] = build()
        return self._cache[k]

    def _live_photo(self, identity_key: str) -> np.ndarray:
        """The most frontal of the identity's live photos (face_files[1:]; [0] if it has one)."""
        k = ("live_photo", identity_key)
        if k not in self._cache:
            paths = get_identity(identity_key).face_paths()
            candidates = [synth.read_image(p) for p in (paths[1:] or paths[:1])]

            def off_centre(img: np.ndarray) -> float:
                lm = synth.landmarks(img)
                if lm is None:
                    return 9.0
                left, right, nose = lm[0:3, 0].mean(), lm[14:17, 0].mean(), lm[30, 0]
                return abs((nose - left) / (right - left + 1e-6) - 0.5)

            self._cache[k] = [min(candidates, key=off_centre)]
        return self._cache[k][0]

    def _card_photo(self) -> tuple[np.ndarray, np.ndarray]:
        photo = synth.read_image(get_identity(self._identity).face_paths()[0])
        lm = synth.landmarks(photo)
        if lm is None:
            raise ControlError(f"no face in the card photo of {self._identity}")
        return photo, lm

    def _impostor_key(self) -> str:
        person = get_identity(self._identity).person
        for key, ident in SAMPLE_IDENTITIES.items():
            if ident.person != person and len(ident.face_files) > 1:
                return key
        raise ControlError("no other person among the sample identities")

    def _moving(self, frames: list[np.ndarray], seed: int) -> Iterator[np.ndarray]:
        rng = np.random.default_rng(seed)
        for f in itertools.cycle(frames):
            yield synth.jitter(f, rng)

    def _register_builtin(self) -> None:
        def live(plan_name: str, plan: tuple[tuple[str, int], ...], who: Callable[[], str]) -> FrameFactory:
            return lambda: self._moving(self._cached(f"{plan_name}:{who()}", lambda: synth.live_cycle(self._live_photo(who()), plan)), 1)

        me = lambda: self._identity  # noqa: E731
        self.register_source("holder", live("coop", synth.COOPERATIVE_CYCLE, me))
        self.register_source("holder_still", live("still", (("still", 10),), me))
        for action in ("blink", "turn_left", "turn_right"):
            self.register_source(f"holder_{action}", live(action, (("still", 16), (action, 8 if action == "blink" else 10)), me))
        self.register_source("holder_reactive", self._reactive)
        self.register_source("impostor", live("coop", synth.COOPERATIVE_CYCLE, self._impostor_key))

        def attack(kind: str) -> FrameFactory:
            def make() -> Iterable[np.ndarray]:
                def build() -> list[np.ndarray]:
                    photo, lm = self._card_photo()
                    gen = synth.printed_photo if kind == "printed" else synth.phone_screen
                    return list(gen(photo, lm, np.random.default_rng(3), n=40))
                return self._cached(kind, build)
            return make

        self.register_source("printed_photo", attack("printed"))
        self.register_source("phone_screen", attack("phone"))

        self.register_source("two_people", self._still(lambda: testdata_faces_dir() / "multi_two_people.jpg"))
        self.register_source("partial_face", self._still(lambda: testdata_faces_dir() / "edge_obama_partial.jpg"))
        self.register_source("nobody", lambda: self._moving([synth.background()], 4))

    def _still(self, path_fn: Callable[[], Path], shake: bool = True) -> FrameFactory:
        def make() -> Iterable[np.ndarray]:
            frame = self._cached(f"still:{path_fn()}", lambda: [synth.fit_frame(synth.read_image(path_fn()))])[0]
            return self._moving([frame], 2) if shake else itertools.repeat(frame)
        return make

    def register_still(self, name: str, path: str | Path, shake: bool = True) -> None:
        """A source showing one photograph (held by a slightly shaking hand unless `shake=False`)."""
        p = Path(path)
        if not p.is_file():
            raise ControlError(f"register_still: no file {p}")
        self.register_source(name, self._still(lambda: p, shake))

    def _reactive(self) -> Iterator[np.ndarray]:
        """Holds still; on `act`, performs the action after the reaction delay (a turn is held
        for 0.6 s), and repeats it 2 s after finishing, as a person who sees no progress would, until
        the next `act` or `show`."""
        rng = np.random.default_rng(5)
        key = self._identity
        photo = self._live_photo(key)
        lm = synth.landmarks(photo)
        if lm is None:
            raise ControlError(f"no face in the live photo of {key}")
        still, flm = self._cached("reactive_still", lambda: list(synth.frame_person(photo, lm)))
        while True:
            pending = self._pending_action
            if pending is not None and time.monotonic() >= pending[1]:
                action = pending[0]
                self._pending_action = None
                if action == "blink":
                    frames = self._cached("reactive_blink", lambda: synth.action_frames(still, flm, "blink", 8))
                else:
                    def build(a: str = action) -> list[np.ndarray]:
                        ramp = synth.action_frames(still, flm, a, 10)  # out and back over 10 frames
                        return ramp[:5] + [ramp[5]] * 15 + ramp[5:]
                    frames = self._cached(f"reactive_{action}", build)
                for f in frames:
                    yield synth.jitter(f, rng)
                if self._pending_action is None:  # not re-told meanwhile: again in 2 s
                    self._pending_action = (action, time.monotonic() + 2.0)
            yield synth.jitter(still, rng)

    def _select(self, name: str) -> None:
        if name not in self._sources:
            raise ControlError(f"{self.sim_name}: unknown source {name!r} (known: {', '.join(self.sources())})")
        # build the source here, in the caller's thread (a control command), so the producer
        # never stalls the stream while a new scene is synthesised
        it = iter(self._sources[name]())
        first = next(it, None)
        if first is None:
            raise ControlError(f"{self.sim_name}: source {name!r} gave no frame")
        with self._cond:
            self._source, self._iter = name, itertools.chain([first], it)

    def _next_frame(self) -> np.ndarray:
        with self._cond:
            it, name = self._iter, self._source
        try:
            return next(it)
        except StopIteration:
            self._select(name)
            with self._cond:
                return next(self._iter)

    # -- server -------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start the producer and the HTTP server; returns "host:port"."""
        if self._server is not None:
            return self.address
        if not self._source:
            self._select(next(iter(self._sources)) if self._sources else "")
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("%s: " + fmt, sim.sim_name, *args)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?")[0]
                if not sim._plugged:
                    self.send_error(503, "camera unplugged (simulated)")
                    return
                if path == "/snapshot.jpg":
                    data = sim._wait_frame(0, 2.0)[1]
                    if data is None:
                        self.send_error(503, "no frame yet")
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                if path != "/stream.mjpg":
                    self.send_error(404, "try /stream.mjpg or /snapshot.jpg")
                    return
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                gen = sim._generation
                seq = 0
                try:
                    while not sim._stop.is_set() and gen == sim._generation:
                        seq, data = sim._wait_frame(seq, 1.0)
                        if data is None or gen != sim._generation:
                            continue
                        self.wfile.write(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                                         + str(len(data)).encode() + b"\r\n\r\n" + data + b"\r\n")
                        sim.frames_sent += 1
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        self._server = server
        self._stop.clear()
        # polls for shutdown every 50 ms (the default 0.5 s held every close up to half a second)
        t1 = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"sim-{self.sim_name}-http", daemon=True)
        t2 = threading.Thread(target=self._produce, name=f"sim-{self.sim_name}-frames", daemon=True)
        self._threads = [t1, t2]
        t1.start()
        t2.start()
        return self.address

    @property
    def address(self) -> str:
        if self._server is None:
            raise RuntimeError("camera simulator not started")
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/stream.mjpg"

    def _produce(self) -> None:
        period = 1.0 / self.fps
        next_t = time.monotonic()
        while not self._stop.is_set():
            try:
                frame = self._next_frame()
                ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
                if ok:
                    with self._cond:
                        self._jpeg = buf.tobytes()
                        self._seq += 1
                        self._cond.notify_all()
            except Exception:  # a broken source must not kill the camera
                log.exception("%s: frame source %s failed", self.sim_name, self._source)
                time.sleep(0.2)
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_t = time.monotonic()

    def _wait_frame(self, after: int, timeout: float) -> tuple[int, bytes | None]:
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after or self._stop.is_set(), timeout)
            return self._seq, self._jpeg if self._seq > after else None

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for t in self._threads:
            t.join(2.0)

    # -- control commands ---------------------------------------------------------------------
    def cmd_show(self, source: str) -> dict[str, Any]:
        """Switch what the camera sees: show source=holder|impostor|printed_photo|phone_screen|..."""
        self._pending_action = None
        self._select(source)
        return self.cmd_status()

    def cmd_set_person(self, identity: str) -> dict[str, Any]:
        """Set whose face `holder` shows (a sample identity key, the one on the card)."""
        try:
            self._identity = get_identity(identity).key
        except KeyError as exc:
            raise ControlError(str(exc.args[0])) from None
        if self._source:
            self._select(self._source)
        return self.cmd_status()

    def cmd_act(self, action: str, delay_s: float = 0.4) -> dict[str, Any]:
        """The reactive holder performs blink|turn_left|turn_right after delay_s (reaction time), repeating it 2 s after each time until the next act or show."""
        if action not in ("blink", "turn_left", "turn_right"):
            raise ControlError(f"unknown action {action!r} (blink, turn_left, turn_right)")
        self._pending_action = (action, time.monotonic() + float(delay_s))
        return self.cmd_status()

    def cmd_sources(self) -> list[str]:
        """List the frame sources."""
        return self.sources()

    def cmd_status(self) -> dict[str, Any]:
        """Current source, person, address, frames sent, plugged."""
        return {"source": self._source, "identity": self._identity, "plugged": self._plugged,
                "frames_sent": self.frames_sent,
                "url": self.url if self._server is not None else None}

    def cmd_unplug(self) -> dict[str, Any]:
        """Simulate a pulled cable: drop every client and refuse new ones (503) until plug."""
        self._plugged = False
        self._generation += 1
        return self.cmd_status()

    def cmd_plug(self) -> dict[str, Any]:
        """Undo unplug."""
        self._plugged = True
        return self.cmd_status()

    def cmd_drop_clients(self) -> dict[str, Any]:
        """Close every open stream once (the camera backend must reconnect)."""
        self._generation += 1
        return self.cmd_status()
