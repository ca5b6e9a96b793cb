"""The files of a virtual passport built from a `SampleIdentity`: EF.COM, DG1 (TD3 MRZ), DG2
(an ISO/IEC 19794-5 facial record holding the photograph as JPEG or JPEG 2000) and EF.SOD (a CMS
SignedData over the data-group hashes, signed by a document signer certificate issued by a test
CSCA; both key pairs are generated once per process)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from asn1crypto import algos, cms, core, x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hw_sim.identities import SampleIdentity
from hw_sim.sam_photo import crop_face

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"


def _tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    elif n < 0x10000:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    else:
        length = bytes([0x83]) + n.to_bytes(3, "big")
    return tag.to_bytes((tag.bit_length() + 7) // 8, "big") + length + value


def _cd(text: str) -> str:
    total = 0
    for i, c in enumerate(text):
        v = int(c) if c.isdigit() else (0 if c == "<" else ord(c) - 55)
        total += v * (7, 3, 1)[i % 3]
    return str(total % 10)


def td3_mrz(identity: SampleIdentity) -> str:
    """The two 44-character lines of the passport's data page."""
    names = f"{identity.surname_latin or 'X'}<<{(identity.given_names_latin or '').replace(' ', '<')}"
    line1 = f"P<{identity.nationality}{names}".ljust(44, "<")[:44]
    doc = identity.passport_number.ljust(9, "<")
    optional = "<" * 14
    birth, expiry = identity.mrz_birth, identity.mrz_expiry
    line2 = (doc + _cd(doc) + identity.nationality + birth + _cd(birth) + identity.sex_mrz
             + expiry + _cd(expiry) + optional + "<")
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return line1 + line2 + _cd(composite)


def ef_com() -> bytes:
    return _tlv(0x60, _tlv(0x5F01, b"0107") + _tlv(0x5F36, b"040000") + _tlv(0x5C, bytes([0x61, 0x75])))


def dg1(identity: SampleIdentity) -> bytes:
    return _tlv(0x61, _tlv(0x5F1F, td3_mrz(identity).encode("ascii")))


def face_image(path: Path, fmt: str = "jpeg") -> tuple[bytes, int, int]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read face photo {path}")
    crop = cv2.resize(crop_face(image), (240, 296), interpolation=cv2.INTER_AREA)
    if fmt == "jpeg":
        ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 80])
    elif fmt == "jp2":
        ok, buf = cv2.imencode(".jp2", crop, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, 100])
    else:
        raise ValueError(f"unknown photo format {fmt!r} (jpeg, jp2)")
    assert ok
    return np.asarray(buf).tobytes(), crop.shape[1], crop.shape[0]


def facial_record(image: bytes, width: int, height: int, fmt: str) -> bytes:
    """ISO/IEC 19794-5:2005 with one face, no feature points."""
    image_info = bytes([1, 0 if fmt == "jpeg" else 1]) + width.to_bytes(2, "big") + height.to_bytes(2, "big") \
        + bytes([1, 2]) + bytes(2) + bytes(2)
    face_header = bytes(2) + bytes([0, 0, 0]) + bytes(3) + bytes(2) + bytes(3) + bytes(3)  # points..uncertainty
    block = face_header + image_info + image
    record = (len(block) + 4).to_bytes(4, "big") + block
    header = b"FAC\x00" + b"010\x00" + (14 + len(record)).to_bytes(4, "big") + (1).to_bytes(2, "big")
    return header + record


def dg2(identity: SampleIdentity, fmt: str = "jpeg") -> bytes:
    image, w, h = face_image(identity.face_paths()[0], fmt)
    bht = _tlv(0xA1, _tlv(0x80, b"\x01\x01") + _tlv(0x87, b"\x01\x01") + _tlv(0x88, b"\x00\x08"))
    bit = _tlv(0x7F60, bht + _tlv(0x5F2E, facial_record(image, w, h, fmt)))
    return _tlv(0x75, _tlv(0x7F61, _tlv(0x02, b"\x01") + bit))


# -- test PKI and EF.SOD ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SimPki:
    csca_key: ec.EllipticCurvePrivateKey
    csca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate

    def csca_pem(self) -> bytes:
        return self.csca_cert.public_bytes(serialization.Encoding.PEM)

    def write_trust_store(self, directory: str | Path) -> Path:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        (path / "sim-csca.pem").write_bytes(self.csca_pem())
        return path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hw_sim test PKI (not a real state)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@functools.lru_cache(maxsize=1)
def sim_pki() -> SimPki:
    now = dt.datetime.now(dt.timezone.utc)
    csca_key = ec.generate_private_key(ec.SECP256R1())
    csca_name = _name("hw_sim CSCA")
    csca = (x509.CertificateBuilder().subject_name(csca_name).issuer_name(csca_name)
            .public_key(csca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(csca_key, hashes.SHA256()))
    ds_key = ec.generate_private_key(ec.SECP256R1())
    ds = (x509.CertificateBuilder().subject_name(_name("hw_sim Document Signer")).issuer_name(csca_name)
          .public_key(ds_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
          .sign(csca_key, hashes.SHA256()))
    return SimPki(csca_key, csca, ds_key, ds)


class _DgHash(core.Sequence):
    _fields = [("n", core.Integer), ("h", core.OctetString)]


class _DgHashes(core.SequenceOf):
    _child_spec = _DgHash


class _Lso(core.Sequence):
    _fields = [("version", core.Integer), ("alg", algos.DigestAlgorithm), ("hashes", _DgHashes)]


def ef_sod(data_groups: dict[int, bytes], pki: SimPki | None = None) -> bytes:
    pki = pki or sim_pki()
    lso = _Lso({"version": 0, "alg": {"algorithm": "sha256"},
                "hashes": [{"n": n, "h": hashlib.sha256(v).digest()} for n, v in sorted(data_groups.items())]}).dump()
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [LDS_SECURITY_OBJECT_OID]},
        {"type": "message_digest", "values": [hashlib.sha256(lso).digest()]},
    ])
    signature = pki.ds_key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    ds_asn1 = asn1_x509.Certificate.load(pki.ds_cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": ds_asn1.issuer, "serial_number": ds_asn1.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": LDS_SECURITY_OBJECT_OID, "content": lso},
        "certificates": [ds_asn1],
        "signer_infos": [signer],
    })
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    return _tlv(0x77, info.dump())


def build_files(identity: SampleIdentity, photo_format: str = "jpeg") -> dict[int, bytes]:
    """File id -> contents for the whole document."""
    d1, d2 = dg1(identity), dg2(identity, photo_format)
    return {0x011E: ef_com(), 0x0101: d1, 0x0102: d2, 0x011D: ef_sod({1: d1, 2: d2})}
