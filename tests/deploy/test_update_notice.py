"""The back office's `notify_update` with a URL on a real (instant-device) station: the bundle is
fetched over HTTP or file://, verified with the station's [update] key and applied through the
same code as `kiosk update apply`; a bad bundle, a wrong sha256, a version that differs from the
notice, a missing key each fail the command with a reason and install nothing.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.services.fleet import signing
from kiosk.services.fleet.commands import CommandFailed
from kiosk.update.bundle import build_bundle
from tests.deploy.test_update import RESTART, run_version
from tests.deploy.wheels import make_wheel
from tests.fleet_station.conftest import station_toml

pytestmark = pytest.mark.timeout(120)


def _station(root: Path, update_key_hex: str | None, opt: Path, apply_via: str = "process",
             handoff: str = "true"):
    from hw_sim.station.instant import start_instant_station

    root.mkdir(parents=True, exist_ok=True)
    text = station_toml("", signing.public_hex(signing.generate()), mode="in-process")
    lines = ["", "[update]", f'root = "{opt}"', f'restart_command = "{RESTART}"',
             'selftest_command = "{env}/bin/kiosk selftest"', "venv_pip = false", "pip_no_deps = true",
             f'apply_via = "{apply_via}"', f'handoff_command = "{handoff}"']
    if update_key_hex:
        lines.insert(2, f'public_key = "{update_key_hex}"')
    (root / "station.toml").write_text(text + "\n".join(lines) + "\n")
    station, _controls, _clock = start_instant_station(load_config(root / "station.toml"), root)
    return station


@pytest.fixture
def served(tmp_path):
    """An HTTP server over tmp_path/www (the back office's download area)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield www, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _bundle(dirpath: Path, key, version: str, ok: bool = True) -> Path:
    out = dirpath / f"kiosk-{version}.tar"
    build_bundle(key, [make_wheel(dirpath.parent / f"w-{version}-{ok}", version, selftest_ok=ok)], out, version)
    return out


def test_notice_with_http_url_is_fetched_verified_and_applied(tmp_path, served):
    www, base = served
    key = signing.generate()
    opt = tmp_path / "opt"
    b = _bundle(www, key, "2.0.0")
    station = _station(tmp_path / "st", signing.public_hex(key), opt)
    try:
        t = station.fleet_target
        with t.acting_as("backoffice:ops:li"):
            res = t.notify_update({"version": "2.0.0", "url": f"{base}/{b.name}",
                                   "sha256": hashlib.sha256(b.read_bytes()).hexdigest()})
        assert res["outcome"] == "applied" and res["version"] == "2.0.0", res
        assert run_version(opt) == "2.0.0"
        assert station.mode.update["version"] == "2.0.0"  # still recorded for technicians
        assert not [p for p in (opt / "incoming").iterdir()]  # the download is not kept
        # the same notice again (a resent desired state): nothing reinstalled
        assert t.notify_update({"version": "2.0.0", "url": b.as_uri()})["outcome"] == "already_current"
    finally:
        station.close()


def test_bad_notices_fail_the_command_and_install_nothing(tmp_path, served):
    www, base = served
    key = signing.generate()
    opt = tmp_path / "opt"
    good = _bundle(www, key, "2.0.0")
    forged = _bundle(www / "forged", signing.generate(), "2.0.0")
    station = _station(tmp_path / "st", signing.public_hex(key), opt)
    try:
        t = station.fleet_target
        with pytest.raises(CommandFailed, match="bad signature"):
            t.notify_update({"version": "2.0.0", "url": f"{base}/forged/{forged.name}"})
        with pytest.raises(CommandFailed, match="SHA-256 .* differs from the notice"):
            t.notify_update({"version": "2.0.0", "url": f"{base}/{good.name}", "sha256": "0" * 64})
        with pytest.raises(CommandFailed, match="the bundle is version 2.0.0, the notice announced 3.0.0"):
            t.notify_update({"version": "3.0.0", "url": f"{base}/{good.name}"})
        with pytest.raises(CommandFailed, match="404|Not Found"):
            t.notify_update({"version": "2.0.0", "url": f"{base}/missing.tar"})
        with pytest.raises(CommandFailed, match="scheme 'ftp' not supported"):
            t.notify_update({"version": "2.0.0", "url": "ftp://example.org/x.tar"})
        assert not (opt / "current").exists()
        assert [p.name for p in (opt / "versions").iterdir()] == []
        assert [p.name for p in (opt / "incoming").iterdir()] == []
        # a notice without a URL is only recorded, as before
        assert "noted" in t.notify_update({"version": "2.0.1", "notes": "later"})["detail"]
    finally:
        station.close()


def test_a_station_without_an_update_key_refuses_every_bundle(tmp_path):
    key = signing.generate()
    b = _bundle(tmp_path / "dl", key, "2.0.0")
    station = _station(tmp_path / "st", None, tmp_path / "opt")
    try:
        with pytest.raises(CommandFailed, match=r"no update public key configured \(\[update\] public_key\)"):
            station.fleet_target.notify_update({"version": "2.0.0", "url": b.as_uri()})
    finally:
        station.close()


def test_unit_mode_stages_the_verified_bundle_and_starts_the_handoff(tmp_path):
    key = signing.generate()
    opt = tmp_path / "opt"
    b = _bundle(tmp_path / "dl", key, "2.0.0")
    marker = tmp_path / "handoff.txt"
    station = _station(tmp_path / "st", signing.public_hex(key), opt, apply_via="unit",
                       handoff=f"sh -c 'echo {{version}} > {marker}'")
    try:
        res = station.fleet_target.notify_update({"version": "2.0.0", "url": str(b)})
        assert res["outcome"] == "staged", res
        assert marker.read_text().strip() == "2.0.0"
        staged = opt / "incoming" / "next.tar"
        assert staged.read_bytes() == b.read_bytes()
        assert not (opt / "current").exists()  # kiosk-update.service applies it, not the station
    finally:
        station.close()
