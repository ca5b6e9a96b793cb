"""One control API for every simulated device.

- `SimDevice`: a simulator exposes control commands as methods named `cmd_<name>` taking keyword
  arguments and returning something JSON-serialisable; `describe()` lists them.
- `ControlHub`: the simulators of one process, by name. `hub.call("cabinet", "close_door",
  board=1, lock=3)` in-process; `hub.serve(path)` answers the same calls as JSON lines on a Unix
  socket: request `{"device": "cabinet", "cmd": "close_door", "args": {"board": 1, "lock": 3}}`,
  reply `{"ok": true, "result": ...}` or `{"ok": false, "error": "..."}`.
- `ControlClient(path).call(...)`: the other end (the UI's simulator panel, `python -m hw_sim.ctl`).
"""

from __future__ import annotations

import inspect
import json
import os
import socket
import socketserver
import threading
from pathlib import Path
from typing import Any

MAX_REQUEST_BYTES = 64 * 1024


class ControlError(Exception):
    pass


class SimDevice:
    """Base for simulators. Subclasses set `sim_name` and define `cmd_*` methods."""

    sim_name = "device"

    def handle(self, cmd: str, args: dict[str, Any]) -> Any:
        method = getattr(self, f"cmd_{cmd}", None)
        if method is None or not cmd.isidentifier():
            raise ControlError(f"{self.sim_name}: unknown command {cmd!r} (known: {', '.join(self.commands())})")
        try:
            inspect.signature(method).bind(**args)
        except TypeError as exc:
            raise ControlError(f"{self.sim_name}.{cmd}: {exc}") from None
        return method(**args)

    def commands(self) -> list[str]:
        return sorted(n[4:] for n in dir(self) if n.startswith("cmd_"))

    def describe(self) -> dict[str, str]:
        return {n: (inspect.getdoc(getattr(self, f"cmd_{n}")) or "").split("\n")[0] for n in self.commands()}

    def close(self) -> None:
        """Stop threads and release ptys/sockets."""


class ControlHub:
    def __init__(self) -> None:
        self._devices: dict[str, SimDevice] = {}
        self._server: socketserver.ThreadingUnixStreamServer | None = None
        self._lock = threading.Lock()

    def add(self, device: SimDevice, name: str | None = None) -> SimDevice:
        self._devices[name or device.sim_name] = device
        return device

    def get(self, name: str) -> SimDevice:
        try:
            return self._devices[name]
        except KeyError:
            raise ControlError(f"no simulated device {name!r} (have: {', '.join(sorted(self._devices))})") from None

    def names(self) -> list[str]:
        return sorted(self._devices)

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        if device == "hub" and cmd == "describe":
            return {n: d.describe() for n, d in self._devices.items()}
        with self._lock:  # control commands are rare; serialising them keeps simulators simple
            return self.get(device).handle(cmd, args)

    def handle_line(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ControlError("request must be a JSON object")
            device, cmd, args = request.get("device"), request.get("cmd"), request.get("args", {})
            if not isinstance(device, str) or not isinstance(cmd, str) or not isinstance(args, dict):
                raise ControlError('request needs "device" (string), "cmd" (string), "args" (object)')
            return {"ok": True, "result": self.call(device, cmd, **args)}
        except (ControlError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # a simulator bug must not kill the control channel
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def serve(self, path: str | os.PathLike[str]) -> str:
        path = str(path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if os.path.exists(path):
            os.unlink(path)
        hub = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                while True:
                    line = self.rfile.readline(MAX_REQUEST_BYTES + 1)
                    if not line:
                        return
                    if len(line) > MAX_REQUEST_BYTES:
                        reply = {"ok": False, "error": f"request longer than {MAX_REQUEST_BYTES} bytes"}
                        self.wfile.write(json.dumps(reply).encode() + b"\n")
                        return
                    reply = hub.handle_line(line)
                    self.wfile.write(json.dumps(reply, ensure_ascii=False, default=str).encode() + b"\n")

        server = socketserver.ThreadingUnixStreamServer(path, Handler)
        server.daemon_threads = True
        # polls for shutdown every 50 ms (the default 0.5 s held every close up to half a second)
        threading.Thread(target=server.serve_forever, args=(0.05,), name="sim-control", daemon=True).start()
        self._server = server
        return path

    def close(self) -> None:
        if self._server is not None:
            path = self._server.server_address
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            if isinstance(path, str) and os.path.exists(path):
                os.unlink(path)  # a stale socket file would look like a running simulator
        for device in self._devices.values():
            device.close()


def serve_until_stopped(hub: ControlHub, tick: float | None = None, on_tick: Any = None) -> int:
    """Keep a standalone simulator process running until SIGINT or SIGTERM, then close its hub
    (so ptys, symlinks and sockets are released on a plain `kill` too). `on_tick()` runs every
    `tick` seconds meanwhile (e.g. to print what the simulator saw). Returns the exit status."""
    import signal

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(tick):
            if on_tick is not None:
                on_tick()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        hub.close()
    return 0


class ControlClient:
    def __init__(self, path: str | os.PathLike[str], timeout: float = 5.0) -> None:
        self.path = str(path)
        self.timeout = timeout

    def call(self, device: str, cmd: str, **args: Any) -> Any:
        request = json.dumps({"device": device, "cmd": cmd, "args": args}).encode() + b"\n"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(self.timeout)
            try:
                s.connect(self.path)
            except OSError as exc:
                raise ControlError(f"simulator control socket {self.path}: {exc.strerror or exc}") from None
            s.sendall(request)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        if not data:
            raise ControlError("simulator closed the control connection without a reply")
        reply = json.loads(data)
        if not reply.get("ok"):
            raise ControlError(reply.get("error", "unknown error"))
        return reply.get("result")
