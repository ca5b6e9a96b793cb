"""Every guidance key the verifier emits is part of the face interface's vocabulary (which the
flows translate), so no guidance reaches a citizen untranslated."""

from __future__ import annotations

import re
from pathlib import Path

import kiosk.devices.face.verifier as verifier
from kiosk.devices.face import GUIDANCE_KEYS
from kiosk.devices.face.liveness import CHALLENGES


def test_emitted_guidance_keys_are_declared():
    source = Path(verifier.__file__).read_text("utf-8")
    literal = set(re.findall(r'"face\.([a-z_]+)"', source))
    assert literal, "the verifier emits no face.* guidance literals any more: update this test"
    assert literal <= set(GUIDANCE_KEYS), literal - set(GUIDANCE_KEYS)
    # challenge guidance is emitted as face.<challenge>
    assert set(CHALLENGES) <= set(GUIDANCE_KEYS)
