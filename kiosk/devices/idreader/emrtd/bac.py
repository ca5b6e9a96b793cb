"""Basic Access Control (Doc 9303 part 11, 4.3): document keys from the MRZ information, the
terminal's side of the mutual authentication (GET CHALLENGE, EXTERNAL AUTHENTICATE) and the
session keys and SSC secure messaging starts from."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from kiosk.devices.idreader.emrtd.crypto import KDF_ENC, KDF_MAC, derive_key, pad, retail_mac, tdes_decrypt, tdes_encrypt
from kiosk.devices.idreader.emrtd.mrz import mrz_information
from kiosk.devices.idreader.emrtd.sm import SecureMessaging

GET_CHALLENGE = bytes.fromhex("0084000008")


class BacError(Exception):
    pass


@dataclass(frozen=True)
class BacKeys:
    k_seed: bytes
    k_enc: bytes
    k_mac: bytes

    @classmethod
    def from_mrz_information(cls, info: str) -> "BacKeys":
        seed = hashlib.sha1(info.encode("ascii")).digest()[:16]
        return cls(seed, derive_key(seed, KDF_ENC), derive_key(seed, KDF_MAC))

    @classmethod
    def from_mrz(cls, document_number: str, birth: str, expiry: str) -> "BacKeys":
        return cls.from_mrz_information(mrz_information(document_number, birth, expiry))

    def __repr__(self) -> str:  # keys are secrets
        return "BacKeys(<hidden>)"


class BacTerminal:
    """One authentication run. `rnd_ifd`/`k_ifd` are random unless given (test vectors)."""

    def __init__(self, keys: BacKeys, rnd_ifd: bytes | None = None, k_ifd: bytes | None = None) -> None:
        self.keys = keys
        self.rnd_ifd = rnd_ifd or os.urandom(8)
        self.k_ifd = k_ifd or os.urandom(16)
        self.rnd_icc = b""

    def external_authenticate(self, rnd_icc: bytes) -> bytes:
        """The EXTERNAL AUTHENTICATE command APDU for the card's challenge."""
        if len(rnd_icc) != 8:
            raise BacError(f"card challenge of {len(rnd_icc)} bytes, expected 8")
        self.rnd_icc = rnd_icc
        e_ifd = tdes_encrypt(self.keys.k_enc, self.rnd_ifd + rnd_icc + self.k_ifd)
        m_ifd = retail_mac(self.keys.k_mac, pad(e_ifd))
        return bytes.fromhex("0082000028") + e_ifd + m_ifd + b"\x28"

    def finish(self, response_data: bytes) -> SecureMessaging:
        """Check the card's answer (E_IC || M_IC) and derive the session."""
        if len(response_data) != 40:
            raise BacError(f"EXTERNAL AUTHENTICATE answer of {len(response_data)} bytes, expected 40")
        e_ic, m_ic = response_data[:32], response_data[32:]
        if not hmac.compare_digest(retail_mac(self.keys.k_mac, pad(e_ic)), m_ic):
            raise BacError("card's authentication MAC does not verify (wrong MRZ data?)")
        plain = tdes_decrypt(self.keys.k_enc, e_ic)
        if plain[0:8] != self.rnd_icc or plain[8:16] != self.rnd_ifd:
            raise BacError("card's authentication answer does not match the challenge")
        k_ic = plain[16:32]
        seed = bytes(a ^ b for a, b in zip(self.k_ifd, k_ic))
        ssc = self.rnd_icc[4:] + self.rnd_ifd[4:]
        return SecureMessaging(derive_key(seed, KDF_ENC), derive_key(seed, KDF_MAC), ssc)
