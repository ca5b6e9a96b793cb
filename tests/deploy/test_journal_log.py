"""Logging to journald's native protocol, read back from the test's own datagram socket:
structured fields (PRIORITY, KIOSK_COMPONENT, MESSAGE_ID), multi-line messages in the binary-safe
form, and the switch: only when $JOURNAL_STREAM says stderr is the journal."""

from __future__ import annotations

import logging
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

from kiosk.core.journal_log import MESSAGE_IDS, JournalHandler, JournalSender, encode_fields

ROOT = Path(__file__).resolve().parents[2]


def decode(data: bytes) -> dict[str, str]:
    """journald's parser, for the test: KEY=value lines and KEY\\n<le64>value\\n entries."""
    out: dict[str, str] = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            out[k.decode()] = v.decode()
            i = nl + 1
        else:
            (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
            out[line.decode()] = data[nl + 9:nl + 9 + n].decode()
            assert data[nl + 9 + n:nl + 10 + n] == b"\n"
            i = nl + 10 + n
    return out


def _journal(tmp_path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "journal.sock"))
    s.settimeout(10)
    return s


def test_records_become_journal_fields(tmp_path):
    sock = _journal(tmp_path)
    log = logging.getLogger("kiosk.update.apply.test")
    log.propagate = False
    handler = JournalHandler(JournalSender(str(tmp_path / "journal.sock")))
    log.addHandler(handler)
    try:
        log.error("update 2.0.0 did not come up", extra={"message_id": MESSAGE_IDS["update.rolled_back"]})
        f = decode(sock.recv(65536))
        assert f["MESSAGE"] == "kiosk.update.apply.test: update 2.0.0 did not come up"
        assert f["PRIORITY"] == "3" and f["SYSLOG_IDENTIFIER"] == "kiosk"
        assert f["KIOSK_COMPONENT"] == "update.apply.test" and f["MESSAGE_ID"] == MESSAGE_IDS["update.rolled_back"]
        assert f["CODE_FUNC"] == "test_records_become_journal_fields"
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            log.exception("pump failed")
        f = decode(sock.recv(65536))
        assert f["PRIORITY"] == "3" and "Traceback" in f["MESSAGE"] and "line two" in f["MESSAGE"]
        assert "MESSAGE_ID" not in f
    finally:
        log.removeHandler(handler)
        sock.close()


def test_encoding_is_binary_safe_for_newlines():
    raw = encode_fields({"MESSAGE": "a\nb", "PRIORITY": "6"})
    assert raw == b"MESSAGE\n" + struct.pack("<Q", 3) + b"a\nb\nPRIORITY=6\n"
    assert decode(raw) == {"MESSAGE": "a\nb", "PRIORITY": "6"}


CHILD = """
import logging, sys
from kiosk.core.journal_log import install_journal_logging
logging.basicConfig(level=logging.WARNING)
used = install_journal_logging(socket_path=sys.argv[1])
logging.getLogger("kiosk.station").warning("station up (journal=%s)", used)
"""


def _child(tmp_path: Path, journal_stream: bool) -> str:
    err = tmp_path / "stderr.txt"
    with err.open("w") as f:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("JOURNAL_STREAM", None)
        if journal_stream:  # what systemd sets when StandardError=journal: stderr's device:inode
            st = os.fstat(f.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "journal.sock")], stderr=f, env=env,
                       timeout=60, check=True)
    return err.read_text()


def test_under_systemd_logs_go_to_the_journal_not_stderr(tmp_path):
    sock = _journal(tmp_path)
    try:
        stderr = _child(tmp_path, journal_stream=True)
        f = decode(sock.recv(65536))
        assert f["MESSAGE"] == "kiosk.station: station up (journal=True)" and f["KIOSK_COMPONENT"] == "station"
        assert "station up" not in stderr
    finally:
        sock.close()


def test_elsewhere_logs_stay_on_stderr(tmp_path):
    sock = _journal(tmp_path)
    sock.settimeout(0.2)
    try:
        stderr = _child(tmp_path, journal_stream=False)
        assert "station up (journal=False)" in stderr
        try:
            got = sock.recv(65536)
        except socket.timeout:
            got = None
        assert got is None
    finally:
        sock.close()
