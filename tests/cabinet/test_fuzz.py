"""Random bytes into every registered protocol's decoders: the only outcomes are a decoded value
or a clean `ProtocolError` (and `find_reply` returns None or a frame that decodes, or that the
board used to refuse the request). A new protocol module is fuzzed without editing this file."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from locker_firmware_bridge.codec import Expect
from locker_firmware_bridge.errors import BoardRefused, ProtocolError
from locker_firmware_bridge.protocols import protocols
from locker_firmware_bridge.settings import BoardSettings

CODECS = [p.make_codec() for p in protocols()]
noise = st.binary(max_size=40)
# bytes biased towards the protocols' own values, so the decoders' deeper branches are reached
protocolish = st.lists(st.sampled_from([0x02, 0x03, 0x00, 0x01, 0x11, 0x30, 0x31, 0x33, 0x80, 0x8A, 0x90, 0xB2,
                                        0x05, 0x0F, 0x82, 0x85, 0xFF, 0xF7]),
                       max_size=24).map(bytes)
expects = st.builds(Expect, st.sampled_from(["status_all", "status_one", "open"]), st.integers(0, 247),
                    st.integers(0, 50))
board_settings = st.builds(BoardSettings, st.integers(0, 247), st.integers(1, 50),
                           st.sampled_from([None, "last-byte-low", "first-byte-low"]), st.sampled_from([None, 0, 1]),
                           st.sampled_from(["closing", "opening"]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(noise, protocolish), expect=expects, bs=board_settings, codec_i=st.integers(0, len(CODECS) - 1))
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
        try:
            codec.decode_reply(found.frame, expect, bs)  # must not raise: it was found valid
        except BoardRefused:
            pass  # a valid refusal (Modbus exception reply) is found like any reply


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), codec_i=st.integers(0, len(CODECS) - 1))
def test_open_requests_round_trip_at_the_address_edges(data: st.DataObject, codec_i: int) -> None:
    # every protocol's requests decode back, at the lowest and highest address
    codec = CODECS[codec_i]
    board = data.draw(st.sampled_from([codec.min_address, codec.max_address]))
    lock = data.draw(st.integers(1, codec.max_locks))
    req = codec.decode_request(codec.encode_open(board, lock))
    assert (req.kind, req.board, req.lock) == ("open", board, lock)
