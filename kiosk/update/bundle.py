"""Signed update bundles: build one (back office / CI), and open one with every check done first.

A bundle is one uncompressed tar file (wheels are already compressed) holding exactly:

    manifest.json    {"format": "kiosk-update-v1", "version": "0.2.0", "created_at": "2026-...Z",
                      "wheels": [{"file": "kiosk_station-0.2.0-py3-none-any.whl", "sha256": "...", "size": N}, ...]}
    manifest.sig     base64 of the Ed25519 signature over b"kiosk-update-v1\\n" + the manifest.json bytes
    wheels/<file>    each wheel the manifest names, nothing else

    build_bundle(private_key, wheel_paths, out_path, version)          # -> Manifest
    with open_bundle(path, public_key) as verified:                    # raises BundleError
        verified.manifest.version, verified.wheel_paths                # wheels extracted to a temp dir

`open_bundle` checks, in this order, before the caller touches anything: the tar's member list
(only the names above, regular files, no links, no absolute or `..` paths, bounded sizes), the
signature over the exact manifest bytes, the manifest's fields, then each wheel's size and SHA-256
while it is copied out to a private temporary directory. Any failure raises `BundleError` naming
what to check, and the temporary directory is removed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "kiosk-update-v1"
DOMAIN = b"kiosk-update-v1\n"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
WHEEL_DIR = "wheels/"
MAX_MANIFEST_BYTES = 256 * 1024
MAX_WHEELS = 500
VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}")
WHEEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,200}\.whl")


class BundleError(Exception):
    """A bundle that must not be installed; the message says what is wrong and what to check."""


@dataclass(frozen=True)
class WheelEntry:
    file: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    version: str
    created_at: str
    wheels: tuple[WheelEntry, ...]

    def to_json(self) -> bytes:
        doc = {"format": FORMAT, "version": self.version, "created_at": self.created_at,
               "wheels": [{"file": w.file, "sha256": w.sha256, "size": w.size} for w in self.wheels]}
        return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8") + b"\n"

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleError(f"{MANIFEST} is not JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise BundleError(f"{MANIFEST}: format is not {FORMAT!r} (a bundle from another tool or version?)")
        version, created, wheels = doc.get("version"), doc.get("created_at"), doc.get("wheels")
        if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
            raise BundleError(f"{MANIFEST}: version {version!r} is not 1-40 characters of 0-9 A-Z a-z . + _ -")
        if not isinstance(created, str) or not created:
            raise BundleError(f"{MANIFEST}: created_at is missing")
        if not isinstance(wheels, list) or not 1 <= len(wheels) <= MAX_WHEELS:
            raise BundleError(f"{MANIFEST}: wheels must be a list of 1-{MAX_WHEELS} entries")
        entries: list[WheelEntry] = []
        for i, w in enumerate(wheels):
            if not isinstance(w, dict):
                raise BundleError(f"{MANIFEST}: wheels[{i}] is not an object")
            f, h, n = w.get("file"), w.get("sha256"), w.get("size")
            if not isinstance(f, str) or not WHEEL_RE.fullmatch(f):
                raise BundleError(f"{MANIFEST}: wheels[{i}].file {f!r} is not a wheel file name")
            if not isinstance(h, str) or not re.fullmatch(r"[0-9a-f]{64}", h):
                raise BundleError(f"{MANIFEST}: wheels[{i}].sha256 is not 64 lowercase hex characters")
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise BundleError(f"{MANIFEST}: wheels[{i}].size is not a byte count")
            entries.append(WheelEntry(f, h, n))
        if len({e.file for e in entries}) != len(entries):
            raise BundleError(f"{MANIFEST}: a wheel is listed twice")
        return cls(version, created, tuple(entries))


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def sign_manifest(raw: bytes, key: Ed25519PrivateKey) -> bytes:
    return base64.b64encode(key.sign(DOMAIN + raw)) + b"\n"


def build_bundle(key: Ed25519PrivateKey, wheels: Sequence[str | Path], out: str | Path, version: str,
                 created_at: datetime | None = None) -> Manifest:
    """Write a signed bundle of `wheels` to `out` (temp name, then renamed into place)."""
    if not VERSION_RE.fullmatch(version or ""):
        raise BundleError(f"version {version!r} is not 1-40 characters of 0-9 A-Z a-z . + _ -")
    paths = [Path(w) for w in wheels]
    if not paths:
        raise BundleError("no wheels given: a bundle holds at least one wheel")
    entries = []
    for p in paths:
        if not p.is_file():
            raise BundleError(f"{p}: no such wheel file")
        if not WHEEL_RE.fullmatch(p.name):
            raise BundleError(f"{p}: not a wheel file name (NAME-VERSION-...-PLATFORM.whl)")
        entries.append(WheelEntry(p.name, _sha256_file(p), p.stat().st_size))
    if len({e.file for e in entries}) != len(entries):
        raise BundleError("the same wheel file name is given twice")
    when = (created_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    manifest = Manifest(version, when.isoformat(timespec="seconds").replace("+00:00", "Z"), tuple(entries))
    raw = manifest.to_json()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            mtime = when.timestamp()
            _add_bytes(tar, MANIFEST, raw, mtime)
            _add_bytes(tar, SIGNATURE, sign_manifest(raw, key), mtime)
            for p in paths:
                info = tar.gettarinfo(str(p), arcname=WHEEL_DIR + p.name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with p.open("rb") as wf:
                    tar.addfile(info, wf)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest


@dataclass(frozen=True)
class VerifiedBundle:
    manifest: Manifest
    wheel_dir: Path  # holds exactly the manifest's wheels, each checked
    source: Path

    @property
    def wheel_paths(self) -> list[Path]:
        return [self.wheel_dir / w.file for w in self.manifest.wheels]


def verify_signature(raw: bytes, sig_text: bytes, public_key: Ed25519PublicKey) -> None:
    try:
        sig = base64.b64decode(sig_text.strip(), validate=True)
        public_key.verify(sig, DOMAIN + raw)
    except (InvalidSignature, binascii.Error, ValueError):
        raise BundleError("bad signature: the manifest was not signed by the update key this station trusts "
                          "(check [update] public_key against the back office's update key)") from None


@contextmanager
def open_bundle(path: str | Path, public_key: Ed25519PublicKey, max_bytes: int = 1 << 30,
                tmp_dir: str | Path | None = None) -> Iterator[VerifiedBundle]:
    """Check the bundle completely; yield its verified wheels in a temporary directory."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"{path}: no such bundle file")
    if path.stat().st_size > max_bytes:
        raise BundleError(f"{path}: {path.stat().st_size} bytes, more than the allowed {max_bytes}")
    try:
        tar = tarfile.open(path, mode="r:")
    except (tarfile.TarError, OSError) as exc:
        raise BundleError(f"{path}: not a bundle (an uncompressed tar file): {exc}") from None
    work = Path(tempfile.mkdtemp(prefix="kiosk-update-", dir=tmp_dir))
    try:
        with tar:
            try:
                members = {m.name: m for m in tar.getmembers()}
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BundleError(f"{path}: damaged tar file: {exc}") from None
            for name, m in members.items():
                if not m.isfile():
                    raise BundleError(f"{path}: member {name!r} is not a regular file (links and devices are refused)")
                if name not in (MANIFEST, SIGNATURE) and not (name.startswith(WHEEL_DIR)
                                                              and WHEEL_RE.fullmatch(name[len(WHEEL_DIR):])):
                    raise BundleError(f"{path}: unexpected member {name!r} (a bundle holds manifest.json, "
                                      "manifest.sig and wheels/*.whl only)")
            for needed in (MANIFEST, SIGNATURE):
                if needed not in members:
                    raise BundleError(f"{path}: {needed} is missing")
                if members[needed].size > MAX_MANIFEST_BYTES:
                    raise BundleError(f"{path}: {needed} is larger than {MAX_MANIFEST_BYTES} bytes")
            raw = _read_member(tar, members[MANIFEST])
            verify_signature(raw, _read_member(tar, members[SIGNATURE]), public_key)
            manifest = Manifest.parse(raw)
            listed = {WHEEL_DIR + w.file for w in manifest.wheels}
            extra = sorted(n for n in members if n.startswith(WHEEL_DIR) and n not in listed)
            if extra:
                raise BundleError(f"{path}: wheels not in the signed manifest: {', '.join(extra)}")
            wheel_dir = work / "wheels"
            wheel_dir.mkdir()
            for w in manifest.wheels:
                m = members.get(WHEEL_DIR + w.file)
                if m is None:
                    raise BundleError(f"{path}: wheel {w.file} is in the manifest but not in the bundle")
                if m.size != w.size:
                    raise BundleError(f"{path}: wheel {w.file} is {m.size} bytes, the manifest says {w.size} "
                                      "(damaged or altered)")
                digest = _extract_hashing(tar, m, wheel_dir / w.file)
                if digest != w.sha256:
                    raise BundleError(f"{path}: wheel {w.file} has SHA-256 {digest}, the signed manifest says "
                                      f"{w.sha256} (damaged in transit or altered; fetch the bundle again)")
        yield VerifiedBundle(manifest, wheel_dir, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _read_member(tar: tarfile.TarFile, m: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(m)
    if f is None:
        raise BundleError(f"member {m.name} cannot be read")
    try:
        return f.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BundleError(f"member {m.name} is damaged: {exc}") from None


def _extract_hashing(tar: tarfile.TarFile, m: tarfile.TarInfo, dest: Path) -> str:
    src = tar.extractfile(m)
    if src is None:
        raise BundleError(f"member {m.name} cannot be read")
    h = hashlib.sha256()
    try:
        with dest.open("wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"member {m.name} is damaged (truncated bundle?): {exc}") from None
    return h.hexdigest()


def read_manifest_unverified(path: str | Path) -> Manifest:
    """The manifest for display only (`kiosk update status` of a staged file); never for installing."""
    with tarfile.open(path, mode="r:") as tar:
        return Manifest.parse(_read_member(tar, tar.getmember(MANIFEST)))
