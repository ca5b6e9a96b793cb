"""Ed25519 signatures on back-office commands, over a canonical encoding.

The signed bytes are `b"kiosk-cmd-v2\\n"` + the UTF-8 JSON of
`{"args", "cmd_id", "expires_at", "issued_at", "kiosk_id", "name", "operator"}` with sorted keys, no spaces
(`separators=(",", ":")`) and non-ASCII kept as UTF-8. The signature travels as unpadded
base64url (86 characters). Keys: a raw 32-byte public key as 64 hex characters, or PEM files.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# v2: the operator (who issued, and who approved) is signed too (docs/adr/0170); v1 signatures
# no longer verify, so a command cannot be re-attributed to another operator in transit (and the
# operator is the audit actor of everything the command does: security finding 6)
DOMAIN = b"kiosk-cmd-v2\n"
SIGNED_FIELDS = ("kiosk_id", "cmd_id", "name", "args", "issued_at", "expires_at", "operator")


def canonical(cmd: dict[str, Any]) -> bytes:
    body = {k: cmd[k] for k in SIGNED_FIELDS}
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                               allow_nan=False).encode("utf-8")


def _sign(signed_bytes: Callable[[dict[str, Any]], bytes], obj: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """`obj`'s signature over `signed_bytes(obj)`: 86 characters of unpadded base64url."""
    return base64.urlsafe_b64encode(key.sign(signed_bytes(obj))).rstrip(b"=").decode("ascii")


def _verify(signed_bytes: Callable[[dict[str, Any]], bytes], obj: dict[str, Any],
            public_key: Ed25519PublicKey) -> bool:
    """Whether `obj["sig"]` is `public_key`'s signature over `signed_bytes(obj)`; any malformed
    part (signature, missing field, non-JSON value) is simply not a valid signature."""
    sig = obj.get("sig")
    if not isinstance(sig, str) or len(sig) != 86:
        return False
    try:
        public_key.verify(base64.urlsafe_b64decode(sig + "=="), signed_bytes(obj))
    except (InvalidSignature, binascii.Error, ValueError, KeyError, TypeError):
        return False
    return True


def sign(cmd: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return _sign(canonical, cmd, key)


def verify(cmd: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    return _verify(canonical, cmd, public_key)


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def save_private(key: Ed25519PrivateKey, path: str | Path) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def load_private(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable Ed25519 private key (PEM): {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key")
    return key


def _is_hex_key(s: str) -> bool:
    return len(s) == 64 and all(c in "0123456789abcdefABCDEF" for c in s)


def load_public(spec: str) -> Ed25519PublicKey:
    """64 hex characters (what `kiosk fleet keygen` prints), or the path of a file holding them or
    a PEM public key."""
    s = spec.strip()
    if _is_hex_key(s):
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(s))
    try:
        data = Path(s).read_bytes()
    except OSError as exc:
        raise ValueError(f"command public key file {s!r}: {exc.strerror or exc}") from None
    if _is_hex_key(data.decode("ascii", "replace").strip()):
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(data.decode("ascii").strip()))
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise ValueError(f"command public key file {s!r}: neither 64 hex characters nor a PEM key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{spec}: not an Ed25519 public key")
    return key


ANSWER_DOMAIN = b"kiosk-rpc-v1\n"


def canonical_answer(resp: dict[str, Any]) -> bytes:
    """Signed bytes of an RPC answer: call_id, ok, result (security finding 10)."""
    body = {"call_id": resp["call_id"], "ok": resp["ok"], "result": resp.get("result")}
    return ANSWER_DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                      allow_nan=False).encode("utf-8")


def sign_answer(resp: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return _sign(canonical_answer, resp, key)


def verify_answer(resp: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    return _verify(canonical_answer, resp, public_key)


DESIRED_DOMAIN = b"kiosk-desired-v1\n"


def canonical_document(doc: dict[str, Any]) -> bytes:
    """Signed bytes of a `desired` settings document: kiosk_id, version, settings."""
    body = {"kiosk_id": doc["kiosk_id"], "version": doc["version"], "settings": doc["settings"]}
    return DESIRED_DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                       allow_nan=False).encode("utf-8")


def sign_document(doc: dict[str, Any], key: Ed25519PrivateKey) -> str:
    return _sign(canonical_document, doc, key)


def verify_document(doc: dict[str, Any], kiosk_id: str, public_key: Ed25519PublicKey) -> bool:
    return doc.get("kiosk_id") == kiosk_id and _verify(canonical_document, doc, public_key)
