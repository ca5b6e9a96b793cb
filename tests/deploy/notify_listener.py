"""A test's own sd_notify endpoint: an AF_UNIX datagram socket that records what a child says,
with the arrival time of each message (what systemd would see)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Message:
    at: float  # time.monotonic() on arrival
    fields: dict[str, str]
    raw: bytes


class NotifyListener:
    def __init__(self, path: Path | None = None, abstract: str | None = None) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract is not None:
            self.sock.bind(b"\0" + abstract.encode())
            self.env_value = "@" + abstract
        else:
            assert path is not None
            self.sock.bind(str(path))
            self.env_value = str(path)
        self.sock.settimeout(0.1)
        self.messages: list[Message] = []
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self._cond:
                self.messages.append(Message(time.monotonic(), fields, data))
                self._cond.notify_all()

    def wait_for(self, pred, timeout: float, what: str) -> Message:
        """The first message (in arrival order) for which pred(fields) holds; fails after timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if pred(m.fields):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} within {timeout:g} s; got {[m.raw for m in self.messages][-10:]}")
                self._cond.wait(left)

    def wait_count(self, key: str, n: int, timeout: float) -> list[Message]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [m for m in self.messages if key in m.fields]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"only {len(got)} {key} messages within {timeout:g} s (wanted {n})")
                self._cond.wait(left)

    def with_key(self, key: str) -> list[Message]:
        with self._cond:
            return [m for m in self.messages if key in m.fields]

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()
