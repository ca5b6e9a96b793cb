"""A test PKI for the fleet link's TLS: a CA, a server certificate for the broker, and one client
certificate per station (CN = station id, which mosquitto's `use_identity_as_username` turns into
the MQTT username, so the ACL's %u patterns apply unchanged). For development and tests only: a
city issues these from its own CA (docs/operator/index.md).

    paths = make_test_pki(out_dir, clients=["sh-001", "backoffice"], server_names=["localhost", "127.0.0.1"])
    paths["ca"], paths["server_cert"], paths["server_key"], paths["clients"]["sh-001"] == (cert, key)
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _issue(subject_cn: str, key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate | None,
           ca_key: ec.EllipticCurvePrivateKey, *, is_ca: bool = False, server_names: list[str] | None = None,
           client: bool = False, days: int = 825) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(ca_cert.subject if ca_cert else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if is_ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                          content_commitment=False, key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
    if server_names:
        alt: list[x509.GeneralName] = []
        for n in server_names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                alt.append(x509.DNSName(n))
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def make_test_pki(out_dir: str | Path, clients: list[str], server_names: list[str] | None = None) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca = _issue("kiosk fleet test CA", ca_key, None, ca_key, is_ca=True, days=3650)
    _write_cert(ca, out / "ca.crt")
    _write_key(ca_key, out / "ca.key")
    skey = _key()
    scert = _issue("broker", skey, ca, ca_key, server_names=server_names or ["localhost", "127.0.0.1"])
    _write_cert(scert, out / "server.crt")
    _write_key(skey, out / "server.key")
    paths: dict = {"ca": str(out / "ca.crt"), "server_cert": str(out / "server.crt"),
                   "server_key": str(out / "server.key"), "clients": {}}
    for cn in clients:
        k = _key()
        c = _issue(cn, k, ca, ca_key, client=True)
        _write_cert(c, out / f"{cn}.crt")
        _write_key(k, out / f"{cn}.key")
        paths["clients"][cn] = (str(out / f"{cn}.crt"), str(out / f"{cn}.key"))
    return paths
