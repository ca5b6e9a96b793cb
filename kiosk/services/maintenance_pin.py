"""The station's own maintenance PIN (`[ui] technician_pin_hash`): PBKDF2-SHA256 hash and check.

`hash_pin("4711")` -> "pbkdf2_sha256$ITER$SALT_HEX$HASH_HEX" (what `kiosk run --hash-pin` prints);
`verify_pin_hash(pin, stored)` is False for any malformed stored value.
"""

from __future__ import annotations

import hashlib
import hmac
import os


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = 200_000) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin_hash(pin: str, stored: str) -> bool:
    try:
        algo, iterations, salt, digest = stored.split("$")
        if algo != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)
