"""The embedding is computed on the aligned 150 px chip (no whole-frame RGB copy; bench/face.py
measures it beside dlib's whole-frame call): it must be the very descriptor the whole-frame call
gives, or every threshold would move."""

from __future__ import annotations

import numpy as np
import pytest

from hw_sim.faces import synth
from hw_sim.identities import testdata_faces_dir as faces_dir
from kiosk.devices.face.models import shared_models


@pytest.mark.parametrize("name", ["obama_2.jpg", "hopper_1.jpg"])
def test_chip_embedding_equals_the_whole_frame_descriptor(name):
    import dlib

    m = shared_models()
    photo = synth.read_image(faces_dir() / name)
    frame, _ = synth.frame_person(photo, synth.landmarks(photo))
    face = m.analyse(frame)[0]
    x, y, w, h = face.box
    rgb = np.ascontiguousarray(frame[:, :, ::-1])
    whole = np.array(m.dlib_network().compute_face_descriptor(rgb, m._sp5(rgb, dlib.rectangle(x, y, x + w, y + h)), 0))
    assert np.linalg.norm(m.embed(frame, face) - whole) < 1e-4
