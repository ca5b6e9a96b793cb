"""The chip's APDU logic: SELECT of the eMRTD application and of files, GET CHALLENGE and
EXTERNAL AUTHENTICATE (BAC, card side), then secure messaging for every command, READ BINARY
of the files. Own 3DES helpers (see the package docstring)."""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

AID = bytes.fromhex("A0000002471001")
SW_OK, SW_NOT_FOUND, SW_SECURITY, SW_SM_BAD = b"\x90\x00", b"\x6a\x82", b"\x69\x82", b"\x69\x88"
SW_AUTH_FAILED, SW_INS, SW_WRONG_LENGTH, SW_OFFSET = b"\x63\x00", b"\x6d\x00", b"\x67\x00", b"\x6b\x00"
SW_CONDITIONS = b"\x69\x85"


def _des3(key: bytes, data: bytes, encrypt: bool) -> bytes:
    full = key * 3 if len(key) == 8 else key + key[:8]
    c = Cipher(TripleDES(full), modes.CBC(bytes(8)))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    while len(data) % 8:
        data += b"\x00"
    return data


def _unpad(data: bytes) -> bytes:
    i = len(data) - 1
    while i >= 0 and data[i] == 0:
        i -= 1
    if i < 0 or data[i] != 0x80:
        raise ValueError("padding")
    return data[:i]


def _mac(key: bytes, data: bytes) -> bytes:
    data = _pad(data)
    h = bytes(8)
    for i in range(0, len(data), 8):
        block = bytes(a ^ b for a, b in zip(h, data[i:i + 8]))
        h = _des3(key[:8], block, True)
    return _des3(key[:8], _des3(key[8:], h, False), True)


def _kdf(seed: bytes, counter: int) -> bytes:
    raw = hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16]
    return bytes((b & 0xFE) | (bin(b & 0xFE).count("1") % 2 == 0) for b in raw)


def _do(tag: int, value: bytes) -> bytes:
    n = len(value)
    length = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2, "big"))
    return bytes([tag]) + length + value


def _parse_dos(data: bytes) -> dict[int, bytes]:
    out, i = {}, 0
    while i < len(data):
        tag = data[i]
        n = data[i + 1]
        i += 2
        if n == 0x81:
            n, i = data[i], i + 1
        elif n == 0x82:
            n, i = int.from_bytes(data[i:i + 2], "big"), i + 2
        if i + n > len(data):
            raise ValueError("truncated data object")
        out[tag] = data[i:i + n]
        i += n
    return out


class Chip:
    def __init__(self, mrz_information: str, files: dict[int, bytes], random=os.urandom) -> None:
        self.random = random  # injectable for the Doc 9303 worked example
        seed = hashlib.sha1(mrz_information.encode()).digest()[:16]
        self.k_enc, self.k_mac = _kdf(seed, 1), _kdf(seed, 2)
        self.files = files
        self.apdus = 0
        self.fault_bad_mac = 0  # next N protected responses carry a wrong MAC
        self.reset()

    def reset(self) -> None:
        self.app_selected = False
        self.rnd_icc: bytes | None = None
        self.session: tuple[bytes, bytes] | None = None
        self.ssc = 0
        self.current: int | None = None

    # -- entry point --------------------------------------------------------------------------
    def process(self, apdu: bytes) -> bytes:
        self.apdus += 1
        if len(apdu) < 4:
            return SW_WRONG_LENGTH
        cla, ins, p1, p2 = apdu[:4]
        if cla & 0x0C == 0x0C:
            return self._protected(apdu)
        if self.session is not None and ins != 0xA4:
            self.session = None  # a plain command ends secure messaging
            return SW_SECURITY
        body = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xA4 and p1 == 0x04:
            self.reset()
            self.app_selected = body == AID
            return SW_OK if self.app_selected else SW_NOT_FOUND
        if ins == 0x84:
            if not self.app_selected:
                return SW_CONDITIONS
            self.rnd_icc = self.random(8)
            return self.rnd_icc + SW_OK
        if ins == 0x82:
            return self._external_authenticate(body)
        if ins in (0xA4, 0xB0):
            return SW_SECURITY  # files need BAC
        return SW_INS

    def _external_authenticate(self, body: bytes) -> bytes:
        if self.rnd_icc is None or len(body) != 40:
            return SW_CONDITIONS if self.rnd_icc is None else SW_WRONG_LENGTH
        e_ifd, m_ifd = body[:32], body[32:]
        rnd_icc, self.rnd_icc = self.rnd_icc, None
        if _mac(self.k_mac, e_ifd) != m_ifd:
            return SW_AUTH_FAILED
        plain = _des3(self.k_enc, e_ifd, False)
        rnd_ifd, echoed, k_ifd = plain[:8], plain[8:16], plain[16:]
        if echoed != rnd_icc:
            return SW_AUTH_FAILED
        k_icc = self.random(16)
        e_ic = _des3(self.k_enc, rnd_icc + rnd_ifd + k_icc, True)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc))
        self.session = (_kdf(seed, 1), _kdf(seed, 2))
        self.ssc = int.from_bytes(rnd_icc[4:] + rnd_ifd[4:], "big")
        return e_ic + _mac(self.k_mac, e_ic) + SW_OK

    # -- secure messaging ---------------------------------------------------------------------
    def _protected(self, apdu: bytes) -> bytes:
        if self.session is None or len(apdu) < 6:
            return SW_SECURITY
        ks_enc, ks_mac = self.session
        try:
            dos = _parse_dos(apdu[5:5 + apdu[4]])
        except (ValueError, IndexError):
            self.session = None
            return SW_SM_BAD
        self.ssc = (self.ssc + 1) % (1 << 64)
        covered = b"".join(_do(t, dos[t]) for t in (0x87, 0x97) if t in dos)
        header = bytes([apdu[0], apdu[1], apdu[2], apdu[3]])
        if 0x8E not in dos or _mac(ks_mac, self.ssc.to_bytes(8, "big") + _pad(header) + covered) != dos[0x8E]:
            self.session = None
            return SW_SM_BAD
        data = b""
        if 0x87 in dos:
            try:
                data = _unpad(_des3(ks_enc, dos[0x87][1:], False))
            except ValueError:
                self.session = None
                return SW_SM_BAD
        le = dos[0x97][0] if 0x97 in dos else None
        if le == 0:
            le = 256
        out, sw = self._inner(apdu[1], apdu[2], apdu[3], data, le)
        self.ssc = (self.ssc + 1) % (1 << 64)
        resp = b""
        if out:
            resp += _do(0x87, b"\x01" + _des3(ks_enc, _pad(out), True))
        resp += _do(0x99, sw)
        mac = _mac(ks_mac, self.ssc.to_bytes(8, "big") + resp)
        if self.fault_bad_mac:
            self.fault_bad_mac -= 1
            mac = bytes(b ^ 0xFF for b in mac)
        return resp + _do(0x8E, mac) + SW_OK

    def _inner(self, ins: int, p1: int, p2: int, data: bytes, le: int | None) -> tuple[bytes, bytes]:
        if ins == 0xA4 and p1 == 0x02:
            fid = int.from_bytes(data, "big") if len(data) == 2 else -1
            if fid not in self.files:
                return b"", SW_NOT_FOUND
            self.current = fid
            return b"", SW_OK
        if ins == 0xB0:
            if self.current is None:
                return b"", SW_CONDITIONS
            if p1 & 0x80:  # short file identifier in P1
                sfi_map = {0x1E: 0x011E, 0x01: 0x0101, 0x02: 0x0102, 0x1D: 0x011D}
                self.current = sfi_map.get(p1 & 0x1F, -1)
                if self.current not in self.files:
                    return b"", SW_NOT_FOUND
                offset = p2
            else:
                offset = (p1 << 8) | p2
            content = self.files[self.current]
            if offset > len(content):
                return b"", SW_OFFSET
            return content[offset:offset + (le or 256)], SW_OK
        return b"", SW_INS
