"""The verifier on stills: same / different person with card-photo degradation, two people,
no face, partial face, bad input; and the CLI."""

from __future__ import annotations

import json
import subprocess

import cv2
import numpy as np
import pytest

from hw_sim.faces import synth
from kiosk.devices.face import Decision

KIOSK = "import sys; from kiosk.cli import main; sys.exit(main(sys.argv[1:]))"


def live(samples, name):
    return synth.read_image(samples / name)


@pytest.mark.parametrize("ref_key, live_name", [
    ("obama", "obama_2.jpg"), ("obama", "obama_4_240p.jpg"), ("biden", "biden_2.jpg"),
    ("hopper", "hopper_2.jpg"), ("collins", "collins_2.jpg")])
def test_same_person_matches_a_degraded_card_photo(verifier, card_photos, samples, ref_key, live_name):
    from hw_sim.identities import SAMPLE_IDENTITIES
    key = next(k for k, i in SAMPLE_IDENTITIES.items() if i.person.startswith(ref_key))
    ref = card_photos(key)
    assert ref.shape == (126, 102, 3)
    v = verifier.compare(ref, live(samples, live_name))
    assert v.decision is Decision.MATCH, v
    assert v.faces == 1 and v.score >= verifier.match_threshold


@pytest.mark.parametrize("ref_key, live_name", [
    ("obama", "biden_2.jpg"), ("biden", "obama_3.jpg"), ("kit_harington", "collins_2.jpg"),
    ("rose_leslie", "biden_2.jpg"), ("jino", "hopper_1.jpg")])
def test_different_person_does_not_match(verifier, card_photos, samples, ref_key, live_name):
    v = verifier.compare(card_photos(ref_key), live(samples, live_name))
    assert v.decision is Decision.NO_MATCH, v
    assert v.score < verifier.match_threshold - verifier.retry_band


def test_two_people_no_face_and_partial_face_give_retry(verifier, card_photos, samples):
    ref = card_photos("obama")
    v = verifier.compare(ref, live(samples, "multi_two_people.jpg"))
    assert (v.decision, v.reason, v.faces, v.score) == (Decision.RETRY, "multiple_faces", 2, None)
    v = verifier.compare(ref, synth.background())
    assert (v.decision, v.reason, v.faces) == (Decision.RETRY, "no_face", 0)
    v = verifier.compare(ref, live(samples, "edge_obama_partial.jpg"))
    assert (v.decision, v.reason) == (Decision.RETRY, "partial_face")


def test_too_small_face_asks_to_come_closer(verifier, card_photos, samples):
    img = live(samples, "obama_2.jpg")
    tiny = cv2.copyMakeBorder(cv2.resize(img, None, fx=0.12, fy=0.12), 200, 200, 300, 300, cv2.BORDER_CONSTANT, value=(200, 200, 200))
    v = verifier.compare(card_photos("obama"), tiny)
    assert v.decision is Decision.RETRY and v.reason in ("too_small", "no_face")


def test_retry_band_between_no_match_and_match(verifier):
    t, b = verifier.match_threshold, verifier.retry_band
    assert verifier.decide(t)[0] is Decision.MATCH
    assert verifier.decide(t - b / 2) == (Decision.RETRY, "uncertain")
    assert verifier.decide(t - b - 0.01)[0] is Decision.NO_MATCH


def test_bad_images_are_clear_errors(verifier, card_photos):
    with pytest.raises(ValueError, match="expected an HxWx3 uint8"):
        verifier.compare(card_photos("obama"), np.zeros((100, 100), np.uint8))
    with pytest.raises(ValueError, match="too small"):
        verifier.compare(card_photos("obama"), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="reference photo: no face"):
        verifier.compare(synth.background(), synth.background())


def run_cli(python, *args):
    r = subprocess.run([python, "-c", KIOSK, "face", "verify", *args, "--json"], capture_output=True, text=True, timeout=120)
    return r.returncode, json.loads(r.stdout.splitlines()[-1]), r.stderr


def test_cli_verify(python, tmp_path, card_photos, samples):
    ref = tmp_path / "ref.jpg"
    cv2.imwrite(str(ref), card_photos("obama"))
    rc, out, _ = run_cli(python, "--reference", str(ref), "--live", str(samples / "obama_3.jpg"))
    assert rc == 0 and out["decision"] == "match" and out["faces"] == 1 and out["score"] > 0.36 and out["ms"] > 0
    rc, out, _ = run_cli(python, "--reference", str(ref), "--live", str(samples / "multi_two_people.jpg"))
    assert rc == 4 and out == {**out, "decision": "retry", "faces": 2, "reason": "multiple_faces", "score": None}
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes((samples / "obama_2.jpg").read_bytes()[:200])
    rc, out, err = run_cli(python, "--reference", str(ref), "--live", str(corrupt))
    assert rc == 2 and "not a readable image" in out["error"] and "corrupt.jpg" in err
    rc, out, err = run_cli(python, "--reference", str(tmp_path / "missing.jpg"), "--live", str(corrupt))
    assert rc == 2 and "missing.jpg" in out["error"]


def test_no_pair_of_different_sample_people_matches_and_every_same_person_pair_does(verifier, samples):
    """Every ordered (card photo of A, live photo of B) pair of the fetched sample faces, as the
    benchmark's accuracy section counts them: the configured threshold accepts no other person
    (Collins' card against Hopper's re-lit photo scored 0.371 and 0.375: over the old 0.36)."""
    from kiosk.config.devices import FaceConfig

    cfg = FaceConfig()
    assert (verifier.match_threshold, verifier.retry_band) == (cfg.match_threshold, cfg.retry_band)
    m = verifier.models
    files = sorted(p for p in samples.iterdir() if p.suffix == ".jpg" and not p.name.startswith(("multi", "edge")))
    live_vec, card_vec = {}, {}
    for p in files:
        img = synth.read_image(p)
        ref = synth.card_photo(img)
        live_vec[p.name] = m.embed(img, verifier._analyse_still(img)[0])
        card_vec[p.name] = m.embed(ref, verifier._analyse_still(ref)[0])
    person = lambda name: name.split("_")[0]  # noqa: E731
    decisions = {(a, b): verifier.decide(1.0 - float(np.linalg.norm(card_vec[a] - live_vec[b])))[0]
                 for a in card_vec for b in live_vec if a != b}
    others = {k: d for k, d in decisions.items() if person(k[0]) != person(k[1])}
    same = {k: d for k, d in decisions.items() if person(k[0]) == person(k[1])}
    assert len(others) > 60 and len(same) > 10
    assert [k for k, d in others.items() if d is Decision.MATCH] == []
    assert [k for k, d in same.items() if d is not Decision.MATCH] == []
