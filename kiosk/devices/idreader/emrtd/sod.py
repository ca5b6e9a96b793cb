"""EF.SOD and passive authentication (Doc 9303 part 10 and 11): parse the CMS SignedData and its
LDSSecurityObject, compare the data-group hashes with the files read, and where a trust store
(a directory of CSCA certificates, PEM or DER) is configured, verify the document signer's
signature over the signed attributes and the DS certificate against a CSCA.

Keys with explicit EC parameters (brainpool CSCAs) and plain-format ECDSA signatures are handled
by `signatures` (finding 2 of the security review: `cryptography` alone refuses them)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from kiosk.devices.idreader.emrtd import tlv
from kiosk.devices.idreader.emrtd.signatures import (
    SignatureError,
    certificate_key,
    scheme_of,
    verify,
    verify_certificate,
)

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class SodError(ValueError):
    pass


class DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):
    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):
    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LdsSecurityObject(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", cms.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


@dataclass
class Sod:
    hash_algorithm: str
    dg_hashes: dict[int, bytes]
    signed_data: cms.SignedData
    econtent: bytes


@dataclass
class PassiveAuthResult:
    dg_ok: dict[int, bool] = field(default_factory=dict)
    signature: str = "not_checked"  # valid | invalid | not_checked
    chain: str = "not_checked"  # valid | invalid | no_trust_store | unknown_issuer
    detail: str = ""

    @property
    def hashes_ok(self) -> bool:
        return bool(self.dg_ok) and all(self.dg_ok.values())

    @property
    def ok(self) -> bool:
        """Hashes match, and where a trust store was given, signature and chain verify."""
        return self.hashes_ok and self.signature != "invalid" and self.chain not in ("invalid", "unknown_issuer")

    def summary(self) -> str:
        bad = [f"DG{n}" for n, ok in sorted(self.dg_ok.items()) if not ok]
        hashes_text = "hashes ok" if not bad else f"hash mismatch in {', '.join(bad)}"
        return f"{hashes_text}; signature {self.signature}; chain {self.chain}" + (f" ({self.detail})" if self.detail else "")


def parse_sod(data: bytes) -> Sod:
    try:
        tag, value, _ = tlv.read_tlv(data)
    except tlv.TlvError as exc:
        raise SodError(f"EF.SOD unreadable: {exc}") from None
    if tag != 0x77:
        raise SodError(f"EF.SOD starts with tag {tag:X}, expected 77")
    try:
        info = cms.ContentInfo.load(value, strict=True)
        if info["content_type"].native != "signed_data":
            raise SodError("EF.SOD does not hold CMS SignedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].dotted != LDS_SECURITY_OBJECT_OID:
            raise SodError("EF.SOD content is not an LDSSecurityObject")
        econtent = encap["content"].native
        lso = LdsSecurityObject.load(econtent, strict=True)
        algorithm = lso["hash_algorithm"]["algorithm"].native
        hashes_by_dg = {int(h["data_group_number"].native): h["data_group_hash_value"].native
                        for h in lso["data_group_hash_values"]}
    except SodError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError/TypeError/KeyError on damaged DER
        raise SodError(f"EF.SOD is not valid DER CMS: {type(exc).__name__}: {exc}") from None
    if algorithm not in _HASHES:
        raise SodError(f"unsupported hash algorithm {algorithm}")
    return Sod(algorithm, hashes_by_dg, signed, econtent)


def load_trust_store(directory: str | Path) -> list[x509.Certificate]:
    path = Path(directory)
    if not path.is_dir():
        raise SodError(f"trust store {path} is not a directory")
    certs = []
    for file in sorted(path.iterdir()):
        if not file.is_file():
            continue
        raw = file.read_bytes()
        try:
            if b"-----BEGIN CERTIFICATE-----" in raw:
                certs.extend(x509.load_pem_x509_certificates(raw))
            else:
                certs.append(x509.load_der_x509_certificate(raw))
        except (ValueError, x509.InvalidVersion):
            continue  # not a certificate: ignore (a README in the directory, say)
    return certs


def passive_authentication(sod: Sod, files: dict[int, bytes], trust: list[x509.Certificate] | None,
                           now: datetime | None = None) -> PassiveAuthResult:
    result = PassiveAuthResult()
    for dg, content in files.items():
        expected = sod.dg_hashes.get(dg)
        actual = hashlib.new(sod.hash_algorithm, content).digest()
        result.dg_ok[dg] = expected is not None and hmac.compare_digest(expected, actual)
    if trust is None:
        result.chain = "no_trust_store"
        return result
    try:
        ds_cert = _verify_signature(sod)
        result.signature = "valid"
    except (SodError, SignatureError, InvalidSignature, UnsupportedAlgorithm, ValueError, KeyError, TypeError,
            IndexError, AttributeError) as exc:  # asn1crypto parses lazily: damage surfaces here (fuzzing)
        result.signature = "invalid"
        result.detail = str(exc) or "signature does not verify"
        return result
    now = now or datetime.now(timezone.utc)
    issuers = [c for c in trust if c.subject == ds_cert.issuer]
    if not issuers:
        result.chain = "unknown_issuer"
        result.detail = "no CSCA in the trust store issued the document signer certificate"
        return result
    ds_asn1 = asn1_x509.Certificate.load(ds_cert.public_bytes(serialization.Encoding.DER))
    for csca in issuers:
        try:
            verify_certificate(ds_asn1, asn1_x509.Certificate.load(csca.public_bytes(serialization.Encoding.DER)))
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
        if not (csca.not_valid_before_utc <= now <= csca.not_valid_after_utc):
            result.chain, result.detail = "invalid", "CSCA certificate outside its validity"
            return result
        result.chain = "valid"
        return result
    result.chain, result.detail = "invalid", "document signer certificate signature does not verify"
    return result


def _verify_signature(sod: Sod) -> x509.Certificate:
    signed = sod.signed_data
    signers = signed["signer_infos"]
    if len(signers) != 1:
        raise SodError(f"EF.SOD has {len(signers)} signers, expected 1")
    signer = signers[0]
    certs = [c.chosen for c in signed["certificates"]] if signed["certificates"].native else []
    sid = signer["sid"]
    ds = None
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            if (cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native):
                ds = cert
        elif cert.key_identifier == sid.chosen.native:
            ds = cert
    if ds is None:
        raise SodError("EF.SOD does not carry the document signer certificate")
    try:
        ds_cert = x509.load_der_x509_certificate(ds.dump())
    except (ValueError, x509.InvalidVersion) as exc:
        raise SodError(f"document signer certificate unreadable: {exc}") from None
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise SodError(f"unsupported signer digest {digest_name}")
    attrs = signer["signed_attrs"]
    if not attrs.native:
        signed_bytes = sod.econtent
    else:
        digest = None
        for attr in attrs:
            if attr["type"].native == "message_digest":
                digest = attr["values"][0].native
        if digest is None or not hmac.compare_digest(digest, hashlib.new(digest_name, sod.econtent).digest()):
            raise SodError("signed attributes' message digest does not match the LDSSecurityObject")
        signed_bytes = b"\x31" + attrs.dump()[1:]  # signed over the SET OF encoding, not [0]
    signature = signer["signature"].native
    key = certificate_key(ds)
    verify(key, signature, signed_bytes, scheme_of(signer["signature_algorithm"], digest_name))
    return ds_cert
