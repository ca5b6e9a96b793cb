"""Public keys and signatures of the passport PKI (CSCA, document signer, EF.SOD signer info).

`load_public_key()` reads a SubjectPublicKeyInfo, including EC keys with explicit domain parameters
(ICAO 9303 part 12 requires them for CSCA/DS certificates; `cryptography` refuses them): explicit
parameters equal to a named curve are mapped to it, any other prime curve is verified by the
pure-Python ECDSA of `ec_curves`. `verify()` understands DER ECDSA (X9.62), plain ECDSA r||s
(BSI TR-03111, OIDs 0.4.0.127.0.7.1.1.4.1.*), RSA PKCS#1 v1.5 and RSA-PSS.
Every failure is an `InvalidSignature` or a `SignatureError` naming what is wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, keys
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from kiosk.devices.idreader.emrtd import ec_curves

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}

# BSI TR-03111 5.2.1: ecdsa-plain-signatures (r || s, each the length of the order)
PLAIN_ECDSA = {"0.4.0.127.0.7.1.1.4.1.1": "sha1", "0.4.0.127.0.7.1.1.4.1.2": "sha224",
               "0.4.0.127.0.7.1.1.4.1.3": "sha256", "0.4.0.127.0.7.1.1.4.1.4": "sha384",
               "0.4.0.127.0.7.1.1.4.1.5": "sha512"}


class SignatureError(ValueError):
    """A key or signature algorithm that cannot be used; the message says which."""


@dataclass(frozen=True)
class VerifyKey:
    """A public key able to verify: either a `cryptography` key, or an EC point on an explicit curve."""

    key: Any = None  # cryptography public key, or None for an explicit curve
    curve: tuple[int, int, int, int, int, int] | None = None  # p, a, b, gx, gy, n
    point: tuple[int, int] | None = None
    description: str = ""

    @property
    def is_ec(self) -> bool:
        return self.curve is not None or isinstance(self.key, ec.EllipticCurvePublicKey)

    @property
    def order_bytes(self) -> int:
        if self.curve is not None:
            return (self.curve[5].bit_length() + 7) // 8
        return (self.key.curve.key_size + 7) // 8


@dataclass(frozen=True)
class Scheme:
    hash_name: str
    kind: str  # ecdsa_der | ecdsa_plain | rsa_pkcs1 | rsa_pss


def load_public_key(spki: keys.PublicKeyInfo) -> VerifyKey:
    try:
        algorithm = spki["algorithm"]["algorithm"].native
        if algorithm != "ec":
            key = serialization.load_der_public_key(spki.dump())
            return VerifyKey(key=key, description=algorithm)
        params = spki["algorithm"]["parameters"]
        if params.name == "named":
            return VerifyKey(key=serialization.load_der_public_key(spki.dump()), description=params.chosen.native)
        if params.name != "specified":
            raise SignatureError("EC key with implicitly-CA parameters: the curve is unknown")
        spec = params.chosen
        if spec["field_id"]["field_type"].native != "prime_field":
            raise SignatureError("EC key over a characteristic-2 field: not used by ICAO 9303, not supported")
        p = int(spec["field_id"]["parameters"].native)
        a = int.from_bytes(spec["curve"]["a"].native, "big")
        b = int.from_bytes(spec["curve"]["b"].native, "big")
        gx, gy = ec_curves.decode_point(p, a % p, b % p, spec["base"].native)
        n = int(spec["order"].native)
        q = ec_curves.decode_point(p, a % p, b % p, bytes(spki["public_key"].native))
    except (SignatureError, ec_curves.CurveError):
        raise
    except UnsupportedAlgorithm as exc:
        raise SignatureError(f"unsupported public key: {exc}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise SignatureError(f"public key unreadable: {type(exc).__name__}: {exc}") from None
    known = ec_curves.named_curve_for(p, a, b, gx, gy, n)
    if known is not None and known.cryptography_name:
        curve = getattr(ec, known.cryptography_name)()
        key = ec.EllipticCurvePublicNumbers(q[0], q[1], curve).public_key()
        return VerifyKey(key=key, description=f"{known.name} (explicit parameters)")
    name = known.name if known else f"explicit {p.bit_length()}-bit prime curve"
    return VerifyKey(curve=(p, a % p, b % p, gx, gy, n), point=q, description=name)


def certificate_key(cert: asn1_x509.Certificate) -> VerifyKey:
    return load_public_key(cert["tbs_certificate"]["subject_public_key_info"])


def scheme_of(sig_alg: algos.SignedDigestAlgorithm, digest_hint: str | None = None) -> Scheme:
    """How to check a signature made with this AlgorithmIdentifier (`digest_hint`: the CMS digest
    algorithm, for identifiers that name no hash, such as plain `ecdsa` or `rsa`)."""
    oid = sig_alg["algorithm"].dotted
    if oid in PLAIN_ECDSA:
        return Scheme(PLAIN_ECDSA[oid], "ecdsa_plain")
    name = sig_alg["algorithm"].native
    if name == "rsassa_pss":
        try:
            hash_name = sig_alg["parameters"]["hash_algorithm"]["algorithm"].native
        except (KeyError, TypeError, ValueError):
            hash_name = digest_hint or "sha1"
        return Scheme(_known_hash(hash_name), "rsa_pss")
    if isinstance(name, str) and "_" in name and name.split("_", 1)[1] in ("ecdsa", "rsa"):
        hash_name, kind = name.split("_", 1)
        return Scheme(_known_hash(hash_name), "ecdsa_der" if kind == "ecdsa" else "rsa_pkcs1")
    if name in ("ecdsa",):
        return Scheme(_known_hash(digest_hint), "ecdsa_der")
    if name in ("rsa", "rsassa_pkcs1v15"):
        return Scheme(_known_hash(digest_hint), "rsa_pkcs1")
    raise SignatureError(f"unsupported signature algorithm {name} ({oid})")


def _known_hash(name: str | None) -> str:
    if name not in HASHES:
        raise SignatureError(f"unsupported hash algorithm {name}")
    return name


def verify(key: VerifyKey, signature: bytes, data: bytes, scheme: Scheme) -> None:
    """Raise InvalidSignature unless `signature` over `data` verifies under `key` with `scheme`."""
    digest = hashlib.new(scheme.hash_name, data).digest()
    if scheme.kind in ("ecdsa_der", "ecdsa_plain"):
        if not key.is_ec:
            raise SignatureError(f"an ECDSA signature but a {key.description} key")
        r, s = _ecdsa_rs(signature, scheme.kind, key.order_bytes)
        if key.curve is not None:
            if not ec_curves.ecdsa_verify(*key.curve, key.point, r, s, digest):
                raise InvalidSignature("ECDSA signature does not verify")
            return
        key.key.verify(utils.encode_dss_signature(r, s), digest,
                       ec.ECDSA(utils.Prehashed(HASHES[scheme.hash_name]())))
        return
    if not isinstance(key.key, rsa.RSAPublicKey):
        raise SignatureError(f"an RSA signature but a {key.description} key")
    algo = HASHES[scheme.hash_name]()
    pad = padding.PSS(padding.MGF1(algo), padding.PSS.AUTO) if scheme.kind == "rsa_pss" else padding.PKCS1v15()
    key.key.verify(signature, digest, pad, utils.Prehashed(algo))


def _ecdsa_rs(signature: bytes, kind: str, size: int) -> tuple[int, int]:
    if kind == "ecdsa_plain":
        if len(signature) != 2 * size:
            raise InvalidSignature(f"plain ECDSA signature of {len(signature)} bytes, expected {2 * size}")
        return int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
    try:
        return utils.decode_dss_signature(signature)
    except ValueError:
        raise InvalidSignature("ECDSA signature is not a DER SEQUENCE of two integers") from None


def verify_certificate(cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> None:
    """Raise InvalidSignature/SignatureError unless `issuer`'s key signed `cert`."""
    key = certificate_key(issuer)
    scheme = scheme_of(cert["signature_algorithm"])
    verify(key, cert["signature_value"].native, cert["tbs_certificate"].dump(), scheme)
