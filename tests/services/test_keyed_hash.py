"""The station key file and keyed hashes: created once and private, refused when missing, exposed or
damaged (never silently replaced)."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk.services.keyed_hash import KeyedHasher, KeyFileError, create_key, mask_id_number, normalize_id_number

ID = "11010119610804013X"


def test_key_file_created_private_and_reused(tmp_path):
    path = tmp_path / "var" / "hash.key"
    create_key(path)
    h1 = KeyedHasher.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    h2 = KeyedHasher.from_file(path)
    assert h1.hash_id(ID) == h2.hash_id(ID)
    assert path.read_bytes().hex() not in repr(h1) and "<key>" in repr(h1)


def test_different_keys_and_purposes_give_different_hashes(tmp_path):
    a = KeyedHasher(create_key(tmp_path / "a.key"))
    b = KeyedHasher(create_key(tmp_path / "b.key"))
    assert a.hash_id(ID) != b.hash_id(ID)
    assert a.hash("id", ID) != a.hash("pickup", ID)
    assert a.hash_id(ID.lower()) == a.hash_id(" 110101 19610804 013x ")
    assert a.matches("id", ID, a.hash_id(ID)) and not a.matches("id", ID, b.hash_id(ID))


def test_exposed_key_file_refused(tmp_path):
    path = tmp_path / "hash.key"
    create_key(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=r"readable by others \(mode 644\); run: chmod 600"):
        KeyedHasher.from_file(path)


def test_damaged_key_file_refused(tmp_path):
    path = tmp_path / "hash.key"
    path.write_bytes(b"short")
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="holds 5 bytes, expected 32"):
        KeyedHasher.from_file(path)


def test_uncreatable_key_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(KeyFileError, match="cannot create hash key file"):
        create_key(blocker / "hash.key")


def test_short_key_refused():
    with pytest.raises(KeyFileError):
        KeyedHasher(b"123")


@pytest.mark.parametrize("raw,masked", [
    (ID, "1101**********013X"),
    ("110101610804013", "1101*******4013"),
    ("E12345678", "E1*****78"),
    ("123", "***"),
])
def test_mask(raw, masked):
    assert mask_id_number(raw) == masked


def test_normalize_rejects_non_strings():
    assert normalize_id_number(" 1101-01 x") == "110101X"
    with pytest.raises(TypeError):
        normalize_id_number(None)  # type: ignore[arg-type]


def test_two_processes_creating_the_key_at_once_agree(tmp_path, monkeypatch):
    """The station app and another process starting together on a fresh machine: the one that
    comes second must read a complete key (not an empty file still being written), and both
    must hash with the same key. Key generation is slowed so the two overlap every time."""
    import secrets
    import threading
    import time

    real = secrets.token_bytes

    def slow(n=None):
        if n == 32:
            time.sleep(0.3)
        return real(n)

    monkeypatch.setattr(secrets, "token_bytes", slow)
    path = tmp_path / "var" / "hash.key"
    results: list[object] = [None, None]

    def start(i: int) -> None:
        try:
            results[i] = KeyedHasher(create_key(path, exist_ok=True)).hash_id(ID)
        except KeyFileError as exc:
            results[i] = exc

    first = threading.Thread(target=start, args=(0,))
    first.start()
    time.sleep(0.1)  # the first is writing its key now
    start(1)
    first.join()
    assert isinstance(results[0], str) and results[0] == results[1], results
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_bytes()) == 32
    assert [p.name for p in path.parent.iterdir()] == ["hash.key"]  # no temporary file left
