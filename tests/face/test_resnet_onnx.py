"""The face descriptor run by onnxruntime from dlib's own file must give dlib's numbers (every match
threshold was fitted on them), and a damaged or foreign model file must be refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from hw_sim.faces import synth
from hw_sim.identities import testdata_faces_dir as faces_dir
from kiosk.devices.face.dlib_file import DlibFileError, read_network
from kiosk.devices.face.models import model_files, shared_models
from kiosk.devices.face.resnet_onnx import ResnetDescriptor


def _chips() -> list[np.ndarray]:
    """Aligned RGB chips of live-sized frames and of a card-sized photo (the two the station embeds)."""
    m = shared_models()
    chips = []
    for name in ("obama_1.jpg", "biden_1.jpg", "hopper_1.jpg"):
        photo = synth.read_image(faces_dir() / name)
        frame, _ = synth.frame_person(photo, synth.landmarks(photo))
        chips.append(m.chip(frame, m.analyse(frame)[0]))
    card = synth.card_photo(synth.read_image(faces_dir() / "obama_2.jpg"))
    chips.append(m.chip(card, m.analyse(card)[0]))  # upscaled before alignment (a tiny face)
    return chips


def test_onnx_descriptor_equals_dlibs_on_the_same_chips():
    m = shared_models()
    dlib_net = m.dlib_network()
    net = ResnetDescriptor(model_files()["descriptor"], threads=1)
    chips = _chips()
    ours = [net.compute(c) for c in chips]
    theirs = [np.array(dlib_net.compute_face_descriptor(c), dtype=np.float32) for c in chips]
    for a, b in zip(ours, theirs):
        assert a.shape == (128,)
        assert np.abs(a - b).max() < 1e-4
    # and the numbers are a face descriptor, not a constant: different people are far apart
    assert np.linalg.norm(ours[0] - ours[1]) > 0.4


def test_the_file_reads_as_the_published_architecture():
    inp, layers = read_network(model_files()["descriptor"])
    kinds = [type(layer).__name__ for layer in layers]
    assert inp.size == (150, 150)
    assert kinds.count("Conv") == 29 and kinds.count("AddPrev") == 14 and kinds[-1] == "FullyConnected"
    assert layers[-1].weights.shape == (256, 128)


def test_a_chip_that_is_not_rgb_is_refused():
    net = ResnetDescriptor(model_files()["descriptor"], threads=1)
    with pytest.raises(ValueError, match="RGB image"):
        net.compute(np.zeros((150, 150), dtype=np.uint8))


@pytest.fixture(scope="module")
def descriptor_bytes() -> bytes:
    return model_files()["descriptor"].read_bytes()


@pytest.mark.parametrize("damage, message", [
    (lambda d: d[: len(d) // 2], "ends at byte"),
    (lambda d: d.replace(b"\x01\x05relu_", b"\x01\x05gelu_", 1), "layer kind 'gelu_'"),
    (lambda d: b"\x00" * 64, "not a dlib metric-learning network"),
    (lambda d: d.replace(b"loss_metric_2", b"loss_mmod_002", 1), "not a dlib metric-learning network"),
])
def test_a_damaged_or_foreign_file_is_refused_with_the_reason(tmp_path, descriptor_bytes, damage, message):
    bad = tmp_path / "descriptor.dat"
    bad.write_bytes(damage(descriptor_bytes))
    with pytest.raises(DlibFileError, match=message) as err:
        read_network(bad)
    assert str(bad) in str(err.value)


def test_the_landmark_model_is_not_taken_for_a_descriptor():
    with pytest.raises(DlibFileError, match="not a dlib metric-learning network"):
        read_network(model_files()["landmarks5"])
