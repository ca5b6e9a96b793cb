"""Logging to journald with structured fields, or to stderr (which journald also captures).

    install_journal_logging()     # under systemd: records go to the journal with fields; else nothing changes

Each record becomes one datagram of journal fields on /run/systemd/journal/socket (journald's
native protocol, the one `systemd.journal.send` speaks; written here so no dependency is needed):
MESSAGE, PRIORITY (syslog level), SYSLOG_IDENTIFIER=kiosk, LOGGER, KIOSK_COMPONENT (the part of the
logger name after `kiosk.`, e.g. `services.cabinet`), CODE_FILE/CODE_LINE/CODE_FUNC, and MESSAGE_ID
when the call names one (`log.warning("...", extra={"message_id": MESSAGE_IDS["update.rolled_back"]})`).
`journalctl -u kiosk-station KIOSK_COMPONENT=update` or `MESSAGE_ID=...` finds them.

Only the message and these fields are sent: the station logs no personal data (no names, ID
numbers, faces; see DESIGN.md), and the handler adds none (no record arguments, no `extra` dicts).

The journal is used only when stderr IS the journal ($JOURNAL_STREAM names stderr's device:inode,
what systemd sets for `StandardError=journal`) and the socket exists; `python-systemd`, when
installed, is used for sending; otherwise the datagram is written by `JournalSender`.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from collections.abc import Callable, Mapping

JOURNAL_SOCKET = "/run/systemd/journal/socket"
IDENTIFIER = "kiosk"
MAX_DATAGRAM = 60_000  # larger records would need a memfd; they are cut instead

# 128-bit ids for the events an operator searches for (`journalctl MESSAGE_ID=...`)
MESSAGE_IDS: dict[str, str] = {
    "station.ready": "6f1c0d3a4b8e4e0f9d2a7c5b3e1f0a01",
    "station.stopping": "6f1c0d3a4b8e4e0f9d2a7c5b3e1f0a02",
    "update.applied": "6f1c0d3a4b8e4e0f9d2a7c5b3e1f0a10",
    "update.rejected": "6f1c0d3a4b8e4e0f9d2a7c5b3e1f0a11",
    "update.rolled_back": "6f1c0d3a4b8e4e0f9d2a7c5b3e1f0a12",
}

_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


def priority(levelno: int) -> int:
    for level, prio in sorted(_PRIORITY.items(), reverse=True):
        if levelno >= level:
            return prio
    return 7


def encode_fields(fields: Mapping[str, str]) -> bytes:
    """journald's native datagram: `KEY=value\\n`, or `KEY\\n<le64 length>value\\n` when the value
    holds a newline."""
    out = bytearray()
    for key, value in fields.items():
        data = str(value).encode("utf-8", "replace")
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalSender:
    """Writes field dicts to the journal socket (one datagram each)."""

    def __init__(self, path: str = JOURNAL_SOCKET) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def __call__(self, fields: Mapping[str, str]) -> None:
        payload = encode_fields(fields)
        if len(payload) > MAX_DATAGRAM:
            fields = {**fields, "MESSAGE": str(fields.get("MESSAGE", ""))[: MAX_DATAGRAM // 2] + " [cut]"}
            payload = encode_fields(fields)[:MAX_DATAGRAM]
        self._sock.sendto(payload, self.path)


def _python_systemd_sender() -> Callable[[Mapping[str, str]], None] | None:
    try:
        from systemd import journal  # type: ignore[import-not-found]
    except ImportError:
        return None

    def send(fields: Mapping[str, str]) -> None:
        f = dict(fields)
        journal.send(f.pop("MESSAGE", ""), **f)

    return send


class JournalHandler(logging.Handler):
    """A logging handler that sends each record as journal fields through `send`."""

    def __init__(self, send: Callable[[Mapping[str, str]], None], identifier: str = IDENTIFIER) -> None:
        super().__init__()
        self.send = send
        self.identifier = identifier
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def fields(self, record: logging.LogRecord) -> dict[str, str]:
        name = record.name
        component = name.removeprefix("kiosk.") if name.startswith("kiosk.") else name
        out = {
            "MESSAGE": self.format(record),
            "PRIORITY": str(priority(record.levelno)),
            "SYSLOG_IDENTIFIER": self.identifier,
            "LOGGER": name,
            "KIOSK_COMPONENT": component,
            "CODE_FILE": record.pathname,
            "CODE_LINE": str(record.lineno),
            "CODE_FUNC": record.funcName,
        }
        message_id = getattr(record, "message_id", None)
        if isinstance(message_id, str) and len(message_id) == 32:
            out["MESSAGE_ID"] = message_id
        return out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.send(self.fields(record))
        except Exception:
            self.handleError(record)


def stderr_is_journal(env: Mapping[str, str] | None = None) -> bool:
    """True when systemd connected stderr to the journal ($JOURNAL_STREAM = stderr's dev:inode)."""
    env = os.environ if env is None else env
    spec = env.get("JOURNAL_STREAM", "")
    try:
        dev, ino = (int(x) for x in spec.split(":"))
        st = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def install_journal_logging(level: int = logging.INFO, socket_path: str = JOURNAL_SOCKET) -> bool:
    """Under systemd with the journal on stderr: replace the root logger's stderr handlers by a
    JournalHandler. Returns whether it did (otherwise logging stays on stderr, which journald
    captures line by line when it is there at all)."""
    if not stderr_is_journal() or not os.path.exists(socket_path):
        return False
    send = _python_systemd_sender() or JournalSender(socket_path)
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in (sys.stderr, sys.__stderr__):
            root.removeHandler(h)
    root.addHandler(JournalHandler(send))
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return True
