"""The pcsc:// backend through the REAL path: pyscard -> pcscd -> vpcd -> the virtual passport
(hw_sim.emrtd_card). pcscd is started by the `pcsc_env` fixture (skipped with an install hint
when pcscd/vpcd are missing)."""

from __future__ import annotations

import time
from datetime import date

import cv2
import numpy as np
import pytest

from hw_sim.emrtd.documents import sim_pki
from hw_sim.identities import get_identity
from kiosk.devices.base import DeviceStatus, ResultCode
from kiosk.devices.idreader import MrzKey
from kiosk.devices.idreader.pcsc import PcscIdReader
from kiosk.devices.registry import create_device


def mrz_of(key: str) -> MrzKey:
    ident = get_identity(key)
    return MrzKey(ident.passport_number, ident.mrz_birth, ident.mrz_expiry)


@pytest.fixture
def trust_store(tmp_path):
    return str(sim_pki().write_trust_store(tmp_path / "csca"))


@pytest.fixture
def reader(pcsc_env, trust_store):
    # the URL path the station uses, reader name in another case, as config would carry it
    r = create_device("idreader", f"pcsc://{pcsc_env.reader.lower()}", trust_store=trust_store, poll_interval=0.05)
    r.open()
    yield r
    r.close()


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_full_read_with_passive_authentication(passport, reader):
    assert reader.status is DeviceStatus.ONLINE and reader.reader_name.startswith("Virtual PCD")
    passport.cmd_insert(identity="obama")
    completion = reader.read(mrz_of("obama"), timeout=5).result(10)
    assert completion.ok, completion.detail
    record, ident = completion.data, get_identity("obama")
    assert record.doc_type == "passport" and record.name == "OU WENBO"
    assert record.id_number == ident.passport_number and record.id_number_valid
    assert record.birth_date == ident.birth_date and record.valid_to == ident.passport_expiry
    assert record.nationality == "CHN" and record.sex == "M"
    assert record.extra["passive_auth"] == "hashes ok; signature valid; chain valid"
    image = cv2.imdecode(np.frombuffer(record.photo, np.uint8), cv2.IMREAD_COLOR)
    assert record.photo_format == "jpeg" and image.shape == (296, 240, 3)
    assert reader.stats.apdus > 10 and reader.stats.bytes_read > 10000
    assert ident.passport_number not in repr(record)


def test_jpeg2000_face(passport, reader):
    passport.cmd_insert(identity="rose_leslie", photo_format="jp2")
    record = reader.read(mrz_of("rose_leslie"), timeout=5).result(10).data
    assert record.photo_format == "jp2" and record.sex == "F"
    assert cv2.imdecode(np.frombuffer(record.photo, np.uint8), cv2.IMREAD_COLOR).shape == (296, 240, 3)


def test_expired_passport_is_read_and_reported(passport, reader):
    passport.cmd_insert(identity="expired")
    record = reader.read(mrz_of("expired"), timeout=5).result(10).data
    assert record.expired(date(2026, 1, 1)) and record.public_fields(date(2026, 1, 1))["expired"] is True


def test_card_presence_events(passport, reader):
    events = []
    reader.subscribe(lambda e: events.append(e.kind))
    passport.cmd_insert(identity="biden")
    assert wait_for(lambda: reader.class_status.get("card") == "present")
    passport.cmd_remove()
    assert wait_for(lambda: reader.class_status.get("card") == "absent")
    assert events.count("card_inserted") == 1 and events.count("card_removed") == 1


def test_wrong_mrz_is_a_user_error(passport, reader):
    passport.cmd_insert(identity="obama")
    wrong = MrzKey(get_identity("obama").passport_number, "610805", get_identity("obama").mrz_expiry)
    completion = reader.read(wrong, timeout=5).result(10)
    assert completion.code is ResultCode.USER_ERROR and "MRZ data does not match" in completion.detail


def test_missing_or_malformed_mrz(passport, reader):
    assert reader.read(None, timeout=1).result(3).code is ResultCode.USER_ERROR
    assert reader.read(MrzKey("E1", "6108", "310520"), timeout=1).result(3).code is ResultCode.USER_ERROR


@pytest.mark.parametrize("dg", [1, 2])
def test_tampered_data_group_is_a_fraud_attempt(passport, reader, dg):
    passport.cmd_insert(identity="kit_harington")
    passport.cmd_tamper(dg=dg)
    completion = reader.read(mrz_of("kit_harington"), timeout=5).result(10)
    assert completion.code is ResultCode.FRAUD_ATTEMPT
    assert f"hash mismatch in DG{dg}" in completion.detail


def test_without_trust_store_hashes_are_still_checked(pcsc_env, passport):
    r = PcscIdReader(pcsc_env.reader, poll_interval=0.05)
    r.open()
    try:
        passport.cmd_insert(identity="alex_lacamoire")
        record = r.read(mrz_of("alex_lacamoire"), timeout=5).result(10).data
        assert record.extra["passive_auth"] == "hashes ok; signature not_checked; chain no_trust_store"
        passport.cmd_tamper(dg=1)
        assert r.read(mrz_of("alex_lacamoire"), timeout=5).result(10).code is ResultCode.FRAUD_ATTEMPT
    finally:
        r.close()


def test_one_bad_mac_is_recovered_by_reading_again(passport, reader):
    passport.cmd_insert(identity="obama")
    passport.cmd_fault(kind="bad_mac", count=1)
    completion = reader.read(mrz_of("obama"), timeout=5).result(10)
    assert completion.ok, completion.detail
    assert reader.counters["sm_error"] == 1


def test_persistent_bad_mac_is_invalid_data(passport, reader):
    passport.cmd_insert(identity="obama")
    passport.cmd_fault(kind="bad_mac", count=100)
    completion = reader.read(mrz_of("obama"), timeout=5).result(10)
    assert completion.code is ResultCode.INVALID_DATA and "MAC" in completion.detail


def test_document_removed_mid_read(passport, reader):
    passport.cmd_insert(identity="obama")
    passport.cmd_fault(kind="vanish_after", count=12)
    completion = reader.read(mrz_of("obama"), timeout=5).result(10)
    assert completion.code is ResultCode.USER_ERROR and "removed" in completion.detail


def test_no_document_times_out(passport, reader):
    completion = reader.read(mrz_of("obama"), timeout=0.8).result(5)
    assert completion.code is ResultCode.TIMEOUT


def test_unknown_reader_is_no_device(pcsc_env):
    r = PcscIdReader("No Such Reader", poll_interval=0.05)
    r.open()
    try:
        assert r.status is DeviceStatus.NO_DEVICE and "No Such Reader" in r.snapshot()["detail"]
        assert r.read(mrz_of("obama"), timeout=0.5).result(3).code is ResultCode.DEVICE_NOT_READY
    finally:
        r.close()
