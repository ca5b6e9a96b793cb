"""Fixtures for the camera and face tests: the camera simulator on a free port, the real
OpenCV backend reading it, the verifier with its models loaded once, degraded card photos."""

from __future__ import annotations

import pytest

from hw_sim.camera import CameraSim
from hw_sim.faces import synth
from hw_sim.identities import get_identity
from kiosk.devices.registry import create_device


@pytest.fixture(scope="module")
def camera_sim():
    sim = CameraSim()
    sim.start()
    yield sim
    sim.close()


@pytest.fixture(scope="module")
def camera(camera_sim):
    cam = create_device("camera", camera_sim.url, width=640, height=480, fps=25)
    cam.start()
    yield cam
    cam.close()


@pytest.fixture(scope="session")
def verifier():
    ver = create_device("face", "local://", seed=7)
    ver.open()
    yield ver
    ver.close()


@pytest.fixture(scope="session")
def card_photos():
    """key -> the 102x126 JPEG-q30 card photo of that sample identity."""
    cache: dict[str, object] = {}

    def get(key: str):
        if key not in cache:
            cache[key] = synth.card_photo(synth.read_image(get_identity(key).face_paths()[0]))
        return cache[key]
    return get
