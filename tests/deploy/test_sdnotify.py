"""The sd_notify client against the test's own datagram socket: path and abstract addresses,
the watchdog interval rules, no-op without $NOTIFY_SOCKET, no exception when nobody listens."""

from __future__ import annotations

import os
import uuid

import pytest

from kiosk.core.sdnotify import Notifier, socket_address, watchdog_interval
from tests.deploy.notify_listener import NotifyListener


@pytest.fixture
def listener(tmp_path):
    lst = NotifyListener(tmp_path / "notify.sock")
    yield lst
    lst.close()


def test_messages_arrive_as_one_datagram_each(listener):
    n = Notifier.from_env({"NOTIFY_SOCKET": listener.env_value, "WATCHDOG_USEC": "4000000"})
    assert n.enabled and n.watchdog_interval_s == 2.0
    assert n.ready("station x up")
    assert n.watchdog()
    assert n.status("fleet link\noffline")  # a newline would start a new key: flattened
    assert n.stopping()
    listener.wait_count("STOPPING", 1, 5)
    raws = [m.raw for m in listener.messages]
    assert raws == [b"READY=1\nSTATUS=station x up", b"WATCHDOG=1", b"STATUS=fleet link offline", b"STOPPING=1"]


def test_abstract_socket_name():
    name = f"kiosk-test-{uuid.uuid4().hex}"
    lst = NotifyListener(abstract=name)
    try:
        n = Notifier.from_env({"NOTIFY_SOCKET": "@" + name})
        assert n.address == b"\0" + name.encode()
        assert n.ready()
        assert lst.wait_for(lambda f: f.get("READY") == "1", 5, "READY=1")
    finally:
        lst.close()


def test_without_notify_socket_everything_is_a_no_op():
    n = Notifier.from_env({"WATCHDOG_USEC": "1000000"})
    assert not n.enabled
    assert n.watchdog_interval_s is None  # no socket: nobody to ping
    assert n.ready() is False and n.watchdog() is False and n.stopping() is False


def test_a_vanished_socket_is_logged_not_raised(tmp_path, caplog):
    n = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")})
    assert n.ready() is False
    assert n.watchdog() is False
    assert sum("sd_notify" in r.message for r in caplog.records) == 1  # warned once, not per ping


@pytest.mark.parametrize("env, expected", [
    ({"WATCHDOG_USEC": "30000000"}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 15.0),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({}, None),
])
def test_watchdog_interval_is_half_of_watchdog_usec(env, expected):
    assert watchdog_interval(env) == expected


def test_socket_address_forms():
    assert socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert socket_address("@abc") == b"\0abc"
