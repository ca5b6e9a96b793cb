"""Random bytes into every decoder: the only outcomes are a decoded value or a clean
`ProtocolError` (and `find_reply` returns None or a frame that decodes)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from locker_firmware_bridge.codec import Expect, get_codec
from locker_firmware_bridge.errors import ProtocolError
from locker_firmware_bridge.settings import BoardSettings

CODECS = [get_codec("8a80"), get_codec("kerong-cu")]
noise = st.binary(max_size=40)
# bytes biased towards the protocols' own values, so the decoders' deeper branches are reached
protocolish = st.lists(st.sampled_from([0x02, 0x03, 0x00, 0x01, 0x11, 0x30, 0x31, 0x33, 0x80, 0x8A, 0x90, 0xB2]),
                       max_size=24).map(bytes)
expects = st.builds(Expect, st.sampled_from(["status_all", "status_one", "open"]), st.integers(0, 32),
                    st.integers(0, 50))
board_settings = st.builds(BoardSettings, st.integers(0, 32), st.integers(1, 50),
                           st.sampled_from([None, "last-byte-low", "first-byte-low"]), st.sampled_from([0, 1]),
                           st.sampled_from(["closing", "opening"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(noise, protocolish), expect=expects, bs=board_settings, codec_i=st.integers(0, 1))
def test_decoders_only_raise_protocol_errors(data: bytes, expect: Expect, bs: BoardSettings, codec_i: int) -> None:
    codec = CODECS[codec_i]
    for decode in (lambda: codec.decode_request(data), lambda: codec.decode_reply(data, expect, bs)):
        try:
            decode()
        except ProtocolError:
            pass
    found = codec.find_reply(data, expect, bs)
    if found is not None:
        assert data[found.start:found.end] == found.frame
        codec.decode_reply(found.frame, expect, bs)  # must not raise: it was found valid
