"""Security finding 2: passive authentication with the certificates real states issue.

ICAO 9303 CSCA and document signer certificates carry EC domain parameters explicitly (brainpool
curves above all), and some states sign with plain-format ECDSA (BSI TR-03111, r||s). The tests
build such certificates and EF.SOD themselves: explicit parameters come from `openssl ecparam
-param_enc explicit` (independent of the station's curve table), signatures from `cryptography`.
A station configured for `pcsc://` without a trust store is refused at config load."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from asn1crypto import algos, cms, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

from kiosk.devices.idreader.emrtd import ec_curves
from kiosk.devices.idreader.emrtd.sod import load_trust_store, parse_sod, passive_authentication

LSO_OID = "2.23.136.1.1.1"
PLAIN_SHA256 = "0.4.0.127.0.7.1.1.4.1.3"
CURVES = {"brainpoolP256r1": ec.BrainpoolP256R1, "brainpoolP384r1": ec.BrainpoolP384R1,
          "brainpoolP512r1": ec.BrainpoolP512R1, "secp256k1": ec.SECP256K1}

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def explicit_params(curve: str) -> keys.ECDomainParameters:
    der = subprocess.run(["openssl", "ecparam", "-name", curve, "-param_enc", "explicit", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return keys.ECDomainParameters.load(der)


def spki(key: ec.EllipticCurvePrivateKey, curve: str, explicit: bool) -> keys.PublicKeyInfo:
    named = keys.PublicKeyInfo.load(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    if not explicit:
        return named
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": explicit_params(curve)},
                               "public_key": point})


def ecdsa_sign(key: ec.EllipticCurvePrivateKey, data: bytes, plain: bool) -> bytes:
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    if not plain:
        return der
    r, s = utils.decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "UT"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject: str, issuer: str, subject_key: ec.EllipticCurvePrivateKey, subject_curve: str,
              issuer_key: ec.EllipticCurvePrivateKey, explicit: bool, plain: bool, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    cert = asn1_x509.Certificate.load(builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    tbs = cert["tbs_certificate"]
    alg = algos.SignedDigestAlgorithm({"algorithm": PLAIN_SHA256 if plain else "sha256_ecdsa"})
    tbs["subject_public_key_info"] = spki(subject_key, subject_curve, explicit)
    tbs["signature"] = alg
    tbs_der = tbs.dump(force=True)
    out = asn1_x509.Certificate({"tbs_certificate": asn1_x509.TbsCertificate.load(tbs_der),
                                 "signature_algorithm": alg,
                                 "signature_value": ecdsa_sign(issuer_key, tbs_der, plain)})
    return x509.load_der_x509_certificate(out.dump())


@dataclass
class Pki:
    csca_key: ec.EllipticCurvePrivateKey
    csca: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds: x509.Certificate

    def trust_store(self, directory: Path) -> list[x509.Certificate]:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "csca.der").write_bytes(self.csca.public_bytes(serialization.Encoding.DER))
        return load_trust_store(directory)


def make_pki(csca_curve: str, ds_curve: str, explicit: bool = True, plain_certs: bool = False) -> Pki:
    csca_key = ec.generate_private_key(CURVES[csca_curve]())
    ds_key = ec.generate_private_key(CURVES[ds_curve]())
    csca = make_cert("CSCA", "CSCA", csca_key, csca_curve, csca_key, explicit, plain_certs, ca=True)
    ds = make_cert("DS", "CSCA", ds_key, ds_curve, csca_key, explicit, plain_certs, ca=False)
    return Pki(csca_key, csca, ds_key, ds)


def make_sod(dgs: dict[int, bytes], pki: Pki, plain: bool = False) -> bytes:
    from kiosk.devices.idreader.emrtd.sod import LdsSecurityObject

    lso = LdsSecurityObject({"version": 0, "hash_algorithm": {"algorithm": "sha256"},
                             "data_group_hash_values": [{"data_group_number": n,
                                                         "data_group_hash_value": hashlib.sha256(v).digest()}
                                                        for n, v in sorted(dgs.items())]}).dump()
    attrs = cms.CMSAttributes([{"type": "content_type", "values": [LSO_OID]},
                               {"type": "message_digest", "values": [hashlib.sha256(lso).digest()]}])
    ds = asn1_x509.Certificate.load(pki.ds.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {"issuer": ds.issuer,
                                                                  "serial_number": ds.serial_number}}),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": PLAIN_SHA256 if plain else "sha256_ecdsa"},
        "signature": ecdsa_sign(pki.ds_key, attrs.dump(), plain),
    })
    signed = cms.SignedData({"version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
                             "encap_content_info": {"content_type": LSO_OID, "content": lso},
                             "certificates": [ds], "signer_infos": [signer]})
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return b"\x77\x82" + len(der).to_bytes(2, "big") + der


DGS = {1: b"\x61\x03DG1", 2: b"\x75\x03DG2"}


@pytest.mark.parametrize("csca_curve,ds_curve", [("brainpoolP256r1", "brainpoolP256r1"),
                                                 ("brainpoolP384r1", "brainpoolP256r1"),
                                                 ("brainpoolP512r1", "brainpoolP384r1")])
def test_brainpool_certificates_with_explicit_parameters_verify(tmp_path: Path, csca_curve: str, ds_curve: str) -> None:
    pki = make_pki(csca_curve, ds_curve)
    result = passive_authentication(parse_sod(make_sod(DGS, pki)), DGS, pki.trust_store(tmp_path))
    assert (result.signature, result.chain) == ("valid", "valid"), result.summary()
    assert result.ok


def test_explicit_curve_not_known_by_name_is_verified_in_pure_python(tmp_path: Path) -> None:
    # secp256k1 is deliberately absent from the station's curve table: this takes the pure-Python path
    assert not any(c.name == "secp256k1" for c in ec_curves.KNOWN_CURVES)
    pki = make_pki("secp256k1", "secp256k1")
    trust = pki.trust_store(tmp_path)
    assert passive_authentication(parse_sod(make_sod(DGS, pki)), DGS, trust).ok
    forged = Pki(pki.csca_key, pki.csca, ec.generate_private_key(ec.SECP256K1()), pki.ds)
    result = passive_authentication(parse_sod(make_sod(DGS, forged)), DGS, trust)
    assert result.signature == "invalid" and not result.ok


@pytest.mark.parametrize("plain_certs", [False, True])
def test_plain_format_ecdsa_signatures_verify(tmp_path: Path, plain_certs: bool) -> None:
    pki = make_pki("brainpoolP256r1", "brainpoolP256r1", plain_certs=plain_certs)
    trust = pki.trust_store(tmp_path)
    result = passive_authentication(parse_sod(make_sod(DGS, pki, plain=True)), DGS, trust)
    assert (result.signature, result.chain) == ("valid", "valid"), result.summary()
    sod = bytearray(make_sod(DGS, pki, plain=True))
    sod[-5] ^= 0x01  # a bit of s
    bad = passive_authentication(parse_sod(bytes(sod)), DGS, trust)
    assert bad.signature == "invalid" and not bad.ok


def test_ds_certificate_signed_by_an_impostor_csca_is_refused(tmp_path: Path) -> None:
    real = make_pki("brainpoolP256r1", "brainpoolP256r1")
    impostor = make_pki("brainpoolP256r1", "brainpoolP256r1")  # same names, other keys
    result = passive_authentication(parse_sod(make_sod(DGS, impostor)), DGS, real.trust_store(tmp_path))
    assert result.signature == "valid" and result.chain == "invalid" and not result.ok


def test_pure_python_ecdsa_agrees_with_openssl_on_every_table_curve() -> None:
    for curve in ec_curves.KNOWN_CURVES:
        if not curve.cryptography_name:
            continue
        key = ec.generate_private_key(getattr(ec, curve.cryptography_name)())
        r, s = utils.decode_dss_signature(key.sign(b"msg", ec.ECDSA(hashes.SHA256())))
        pub = key.public_key().public_numbers()
        digest = hashlib.sha256(b"msg").digest()
        assert ec_curves.ecdsa_verify(*curve.params(), (pub.x, pub.y), r, s, digest), curve.name
        assert not ec_curves.ecdsa_verify(*curve.params(), (pub.x, pub.y), r, s + 1, digest), curve.name


def test_pcsc_reader_without_trust_store_is_a_config_error(sim_config_path: Path) -> None:
    import tomllib

    from kiosk.config import ConfigError, parse_config

    data = tomllib.loads(sim_config_path.read_text("utf-8"))
    data["devices"]["id_reader"] = {"url": "pcsc://ACS ACR1252 00 00"}
    with pytest.raises(ConfigError) as exc:
        parse_config(data, "station.toml")
    assert "devices.id_reader" in str(exc.value) and "trust_store" in str(exc.value)
    data["devices"]["id_reader"]["trust_store"] = "/etc/kiosk/csca"
    assert parse_config(data, "station.toml").devices.id_reader.trust_store == "/etc/kiosk/csca"
