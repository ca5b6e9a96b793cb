"""3DES primitives of Doc 9303 part 11 (BAC and its secure messaging): key derivation with DES
parity, 2-key 3DES in CBC mode with a zero IV, ISO 9797-1 padding method 2 and the retail MAC
(MAC algorithm 3: single-DES CBC, then 3DES on the last block)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

ZERO_IV = bytes(8)
KDF_ENC = 1
KDF_MAC = 2


class CryptoError(ValueError):
    pass


def adjust_parity(key: bytes) -> bytes:
    """Set each byte's lowest bit so the byte has odd parity (DES key convention)."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count("1") + 1) % 2)
    return bytes(out)


def derive_key(seed: bytes, counter: int) -> bytes:
    """K = SHA-1(seed || counter)[0:16] with DES parity (part 11, 9.7.1)."""
    return adjust_parity(hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16])


def _cipher(key: bytes, iv: bytes = ZERO_IV) -> Cipher:
    # `cryptography` wants 24-byte keys: 2-key 3DES is K1 K2 K1, single DES is K K K.
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]
    elif len(key) != 24:
        raise CryptoError(f"3DES key of {len(key)} bytes")
    return Cipher(TripleDES(key), modes.CBC(iv))


def tdes_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    if len(data) % 8:
        raise CryptoError("3DES input is not a multiple of 8 bytes")
    enc = _cipher(key, iv).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    if len(data) % 8 or not data:
        raise CryptoError(f"3DES ciphertext of {len(data)} bytes is not a positive multiple of 8")
    dec = _cipher(key, iv).decryptor()
    return dec.update(data) + dec.finalize()


def pad(data: bytes) -> bytes:
    """ISO 9797-1 padding method 2 (0x80 then zeros to a multiple of 8)."""
    data += b"\x80"
    return data + bytes(-len(data) % 8)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise CryptoError("bad ISO 9797-1 padding")
    return stripped[:-1]


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3 over already padded `data` with a 16-byte key."""
    if len(key) != 16 or len(data) % 8:
        raise CryptoError("retail MAC needs a 16-byte key and padded data")
    k1, k2 = key[:8], key[8:]
    h = tdes_encrypt(k1, data)[-8:]  # single DES CBC (TripleDES with an 8-byte key is DES)
    h = tdes_decrypt(k2, h)
    return tdes_encrypt(k1, h)
