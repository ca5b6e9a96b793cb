"""Secure messaging with 3DES session keys (Doc 9303 part 11, 9.8): protect a command APDU
(DO'87' encrypted data, DO'97' Le, DO'8E' MAC over SSC + header + DOs) and check/decrypt the
response (DO'87', DO'99' status, DO'8E'). The send sequence counter is incremented before
every command and every response."""

from __future__ import annotations

from kiosk.devices.idreader.emrtd import tlv
from kiosk.devices.idreader.emrtd.crypto import CryptoError, pad, retail_mac, tdes_decrypt, tdes_encrypt, unpad


class SmError(Exception):
    """A response failed secure messaging (bad MAC, missing objects, bad padding)."""


class SecureMessaging:
    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: bytes) -> None:
        if len(ks_enc) != 16 or len(ks_mac) != 16 or len(ssc) != 8:
            raise ValueError("3DES secure messaging needs 16-byte keys and an 8-byte SSC")
        self.ks_enc, self.ks_mac = ks_enc, ks_mac
        self.ssc = int.from_bytes(ssc, "big")

    def _next_ssc(self) -> bytes:
        self.ssc = (self.ssc + 1) % (1 << 64)
        return self.ssc.to_bytes(8, "big")

    def protect(self, cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
        header = bytes([cla | 0x0C, ins, p1, p2])
        dos = b""
        if data:
            dos += tlv.encode(0x87, b"\x01" + tdes_encrypt(self.ks_enc, pad(data)))
        if le is not None:
            dos += tlv.encode(0x97, bytes([le & 0xFF]))
        mac = retail_mac(self.ks_mac, pad(self._next_ssc() + pad(header) + dos))
        body = dos + tlv.encode(0x8E, mac)
        return header + bytes([len(body)]) + body + b"\x00"

    def unprotect(self, response: bytes) -> tuple[bytes, int]:
        """Response APDU (with SW1 SW2) -> (plain data, status word). Raises SmError."""
        if len(response) < 2:
            raise SmError("response shorter than a status word")
        body, sw = response[:-2], int.from_bytes(response[-2:], "big")
        ssc = self._next_ssc()
        if not body:  # plain error status (e.g. 6988 when the card lost the SM session)
            raise SmError(f"card answered {sw:04X} without secure messaging")
        do87 = do99 = mac = None
        covered = b""
        try:
            for tag, value in tlv.iter_tlv(body):
                if tag == 0x87:
                    do87 = value
                    covered += tlv.encode(0x87, value)
                elif tag == 0x99:
                    do99 = value
                    covered += tlv.encode(0x99, value)
                elif tag == 0x8E:
                    mac = value
                else:
                    raise SmError(f"unexpected data object {tag:X} in a protected response")
        except tlv.TlvError as exc:
            raise SmError(f"protected response unreadable: {exc}") from None
        if mac is None or do99 is None:
            raise SmError("protected response lacks DO'99' or DO'8E'")
        if retail_mac(self.ks_mac, pad(ssc + covered)) != mac:
            raise SmError("response MAC does not verify")
        inner_sw = int.from_bytes(do99, "big")
        data = b""
        if do87 is not None:
            if not do87 or do87[0] != 0x01:
                raise SmError("DO'87' without padding indicator 01")
            try:
                data = unpad(tdes_decrypt(self.ks_enc, do87[1:]))
            except CryptoError as exc:
                raise SmError(f"encrypted data unreadable: {exc}") from None
        return data, inner_sw
