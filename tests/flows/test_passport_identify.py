"""Passports from the screen, on real parts: the document camera's scanner (real page finder and
real OCR on generated frames of the simulator's passport), the pcsc:// reader through the REAL
pyscard -> pcscd -> vpcd path to the virtual chip, and the flow; the face check is scripted but
must receive the chip's DG2 photo as its reference."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest


PERSON = "rose_leslie"  # passport E40000045, LUO SILIN


def run_until(world, flow, predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, (flow.state, flow.outcome, flow.error)
        try:
            event = world.events.get(timeout=0.1)
        except Exception:
            continue
        flow.handle(event)


def _scanner(damage="none"):
    pytest.importorskip("rapidocr_onnxruntime")
    from hw_sim.passport_page import passport_frames
    from kiosk.config.devices import ScannerConfig
    from kiosk.devices.scanner.capture import CameraDocumentScanner

    scanner = CameraDocumentScanner(ScannerConfig(url="camera://document"), frames=passport_frames(PERSON, damage),
                                    name="scanner")
    scanner.open()
    return scanner


def test_a_passport_identifies_through_mrz_bac_chip_and_dg2(world, pcsc_env, passport, tmp_path, caplog):  # noqa: F811
    from hw_sim.emrtd.documents import sim_pki
    from kiosk.devices.registry import create_device

    reader = create_device("idreader", f"pcsc://{pcsc_env.reader}", trust_store=str(sim_pki().write_trust_store(tmp_path / "csca")),
                           poll_interval=0.05, name="passport_reader")
    reader.open()
    scanner = _scanner()
    world.devices.scanner, world.devices.passport_reader = scanner, reader
    try:
        with caplog.at_level(logging.DEBUG):
            f = world.start("query")
            assert f.act("identify") and f.state == "identify_card"
            assert "passport" in f.actions()
            assert f.act("passport") and f.state == "identify_passport"
            assert f.view().screen == "scan"
            run_until(world, f, lambda: f.state != "identify_passport")
            assert f.state == "identify_passport_chip", (f.state, f.outcome, f.error)
            assert f.session.visit.identify.mrz_key is not None
            passport.cmd_insert(identity=PERSON)
            run_until(world, f, lambda: f.state != "identify_passport_chip")
            assert f.state == "identify_face", (f.state, f.outcome, f.error)
            identity = f.session.identity
            assert identity.doc_type == "passport" and identity.name == "LUO SILIN"
            assert "chain ok" in identity.extra["passive_auth"] or "signature valid" in identity.extra["passive_auth"]
            assert f.session.visit.identify.mrz_key is None  # the key is gone once the chip is read
            # the face check compares with the chip's DG2 image
            name, reference = world.face.calls[-1]
            from kiosk.flows.photo import to_bgr

            assert name == "verify" and isinstance(reference, np.ndarray)
            assert np.array_equal(reference, to_bgr(identity.photo))
            world.face.match()
            run_until(world, f, lambda: f.ended)
        assert f.outcome == "not_found"  # identified: this person has no cases here
        assert not f.session.holds_personal_data() and identity.id_number == "" and identity.photo is None
        for secret in ("E40000045", "E400000455", "LUO<<SILIN"):
            assert secret not in caplog.text, f"{secret} logged"
    finally:
        scanner.close()
        reader.close()


def test_a_wrong_check_digit_is_asked_again_then_refused(world):
    from hw_sim.station.instant import InstantPassportReader

    scanner = _scanner("check_digit")
    chip = InstantPassportReader()
    world.devices.scanner, world.devices.passport_reader = scanner, chip
    try:
        f = world.start("query")
        assert f.act("identify") and f.act("passport")
        for attempt in (1, 2, 3):
            run_until(world, f, lambda: not f.pending("mrz"))
            if attempt < 3:
                assert f.state == "identify_passport" and f.error.key == "identify.passport.check_digit"
                assert f.error.params["field"].key == "identify.passport.field.birth_date"
                assert f.act("retry")
        assert f.ended and f.outcome == "passport_unreadable"
        assert f.outcome_text.key == "identify.passport.refused"
        assert "identify_passport_chip" not in f.history  # the chip is never tried with a bad key
        failures = [r for r in world.services.audit.records(limit=100) if r.action == "identify.passport_mrz_failed"]
        assert len(failures) == 3 and all("birth_date" in str(r.__dict__) for r in failures)
        assert not f.session.holds_personal_data()
    finally:
        scanner.close()


def test_passport_is_offered_only_with_a_passport_reader(world):
    from hw_sim.station.instant import InstantPassportReader

    f = world.start("query")
    assert f.act("identify") and "passport" not in f.actions()
    assert not f.act("passport") and f.state == "identify_card"
    world.devices.passport_reader = InstantPassportReader()
    g = world.start("deposit")  # staff sign in with their resident ID card only
    assert g.state == "identify_card" and "passport" not in g.actions()
