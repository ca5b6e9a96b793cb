"""Random and mutated bytes into every eMRTD parser: only the parsers' own errors come out."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from hw_sim.emrtd.documents import build_files
from hw_sim.identities import get_identity
from kiosk.devices.idreader.emrtd import lds, tlv
from kiosk.devices.idreader.emrtd.sm import SecureMessaging, SmError
from kiosk.devices.idreader.emrtd.sod import SodError, parse_sod

KEY = bytes(range(16))


@functools.lru_cache(maxsize=1)
def real_files() -> dict[int, bytes]:
    return build_files(get_identity("obama"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data):
    for parse, errors in ((lds.parse_com, lds.LdsError), (lds.parse_dg1, lds.LdsError),
                          (lds.parse_dg2, lds.LdsError), (parse_sod, SodError)):
        try:
            parse(data)
        except errors:
            pass
    try:
        SecureMessaging(KEY, KEY, bytes(8)).unprotect(data)
    except SmError:
        pass
    try:
        list(tlv.iter_tlv(data))
    except tlv.TlvError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([0x0101, 0x0102, 0x011D, 0x011E]), st.integers(0, 10_000), st.integers(0, 255),
       st.booleans())
def test_mutated_real_files(fid, at, value, cut):
    original = real_files()[fid]
    at %= len(original)
    data = original[:at] if cut else original[:at] + bytes([value]) + original[at + 1:]
    parse = {0x0101: lds.parse_dg1, 0x0102: lds.parse_dg2, 0x011D: parse_sod, 0x011E: lds.parse_com}[fid]
    try:
        parse(data)
    except (lds.LdsError, SodError):
        pass
