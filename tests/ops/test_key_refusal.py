"""A missing or unreadable hash key stops the station with what to do; it is never made anew where a
database exists. A fresh simulated root gets its key once, like a first install."""

from __future__ import annotations

import os

import pytest

from kiosk.config import load_config
from kiosk.services.keyed_hash import KeyFileError, create_key, load_key
from kiosk.services.station_files import StationFiles
from tests.ops.conftest import station_toml

pytestmark = pytest.mark.timeout(60)


def _start(root):
    from hw_sim.station.instant import start_instant_station

    root.mkdir(parents=True, exist_ok=True)
    (root / "station.toml").write_text(station_toml())
    config = load_config(root / "station.toml")
    station, _, _ = start_instant_station(config, root)
    return station, StationFiles.of(config, root)


def test_fresh_simulated_root_gets_a_key_once_and_keeps_it(tmp_path):
    station, files = _start(tmp_path / "st")
    station.close()
    key = files.hash_key.read_bytes()
    assert len(key) == 32 and oct(files.hash_key.stat().st_mode & 0o777) == "0o600"
    station, _ = _start(tmp_path / "st")  # a restart reads the same key
    station.close()
    assert files.hash_key.read_bytes() == key


def test_missing_key_beside_a_database_refuses_start_and_makes_nothing(tmp_path):
    station, files = _start(tmp_path / "st")
    station.close()
    files.hash_key.unlink()
    with pytest.raises(KeyFileError) as err:
        _start(tmp_path / "st")
    msg = str(err.value)
    assert "hash key file is missing" in msg and "kiosk backup restore" in msg and "would orphan" in msg
    assert not files.hash_key.exists()  # not regenerated


def test_real_station_without_key_or_database_points_to_setup_and_writes_nothing(tmp_path):
    from hw_sim.backoffice import SimBackOffice
    from kiosk.assembly import build_station

    (tmp_path / "station.toml").write_text(station_toml())
    config = load_config(tmp_path / "station.toml")
    files = StationFiles.of(config, tmp_path)
    with pytest.raises(KeyFileError, match=r"kiosk setup` creates it"):
        build_station(config, backoffice=SimBackOffice(), root=tmp_path)
    assert not files.hash_key.exists() and not files.database.exists()  # refused before the store opened


def test_unreadable_and_damaged_keys_are_refused(tmp_path):
    path = tmp_path / "hash.key"
    create_key(path)
    with pytest.raises(KeyFileError, match="already exists; it is never replaced"):
        create_key(path)
    if os.geteuid() != 0:  # root reads a mode-000 file all the same
        os.chmod(path, 0o000)
        with pytest.raises(KeyFileError, match="cannot read the hash key file"):
            load_key(path)
        os.chmod(path, 0o600)
    path.write_bytes(b"\0" * 31)
    with pytest.raises(KeyFileError, match="holds 31 bytes.*kiosk backup restore"):
        load_key(path)
    directory = tmp_path / "dir.key"
    directory.mkdir()
    with pytest.raises(KeyFileError, match="cannot read the hash key file"):
        load_key(directory)
