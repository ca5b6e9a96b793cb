"""Slow hashes for staff PINs and enrolment codes (scrypt, stdlib `hashlib.scrypt`).

PIN space is small (10^6 for six digits), so a fast hash of it is reversed by trying every PIN.
scrypt with N=2^15, r=8, p=1 costs 32 MiB and ~60 ms per try on the development machine, which puts
one six-digit PIN at hours of work per staff member for a stolen copy of the database; at rest the
station also wraps the scrypt output in an HMAC with its hash key (see `StaffRegistry`), so a copied
database without the key file gives nothing to try at all.

Encoded form (enrolment codes, which the back office hashes without the station key):
`scrypt$N$r$p$SALT_HEX$HASH_HEX`. Parameters read back from outside are bounded (`MAX_N`) so a
hostile value cannot make the station spend unbounded memory.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

N, R, P = 2**15, 8, 1
DKLEN = 32
MAX_N = 2**17
SCHEME = f"scrypt-n{N}-r{R}-p{P}+hmac"  # what `staff.pin_scheme` says for PINs hashed here
_ENCODED = re.compile(r"scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{32,128})\$([0-9a-f]{64})")


class PinHashError(ValueError):
    """An encoded hash that cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class ScryptParams:
    n: int = N
    r: int = R
    p: int = P

    def check(self) -> None:
        if self.n < 2**10 or self.n > MAX_N or self.n & (self.n - 1):
            raise PinHashError(f"scrypt N must be a power of two between 1024 and {MAX_N}, not {self.n}")
        if not (1 <= self.r <= 16 and 1 <= self.p <= 4):
            raise PinHashError(f"scrypt r must be 1-16 and p 1-4, not r={self.r} p={self.p}")


def derive(secret: str, salt: bytes, params: ScryptParams = ScryptParams()) -> bytes:
    params.check()
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=params.n, r=params.r, p=params.p,
                          maxmem=params.n * params.r * 128 * 2 + 1024 * 1024, dklen=DKLEN)


def new_salt() -> bytes:
    return os.urandom(16)


def encode(secret: str, salt: bytes | None = None, params: ScryptParams = ScryptParams()) -> str:
    """`scrypt$N$r$p$salt$hash` for a secret (an enrolment code made by the back office)."""
    salt = salt or new_salt()
    return f"scrypt${params.n}${params.r}${params.p}${salt.hex()}${derive(secret, salt, params).hex()}"


def parse(encoded: str) -> tuple[ScryptParams, bytes, bytes]:
    m = _ENCODED.fullmatch(encoded or "")
    if not m:
        raise PinHashError("not an encoded scrypt hash (scrypt$N$r$p$SALT_HEX$HASH_HEX, 16-64 byte salt, 32 byte hash)")
    params = ScryptParams(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    params.check()
    return params, bytes.fromhex(m.group(4)), bytes.fromhex(m.group(5))


def verify(secret: str, encoded: str) -> bool:
    params, salt, digest = parse(encoded)
    return hmac.compare_digest(derive(secret, salt, params), digest)
