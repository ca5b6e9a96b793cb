"""What the station does with a back-office update notice (`notify_update` with a `url`).

    result = apply_notice(info, settings, base_dir)     # info: {"version", "url", "sha256"?, "notes"?}

Fetch (path, file:// or http(s)://; bounded; the notice's sha256 checked when given), verify with
the station's update key (the same `open_bundle` checks `kiosk update apply` makes; the bundle's
version must be the notice's), then either:
- `[update] apply_via = "unit"` (a real station): stage it as `<root>/incoming/next.tar` and start
  `handoff_command` (kiosk-update.service runs `kiosk update apply` on it outside the station's
  own cgroup, so restarting the station does not kill the apply);
- `apply_via = "process"`: `apply_bundle` right here (no systemd: tests, a bench station).
Raises `UpdateError` (bad URL, fetch failure, bad signature, version mismatch, handoff failure).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.update.apply import UpdateError, apply_bundle, expand, run_bounded
from kiosk.update.bundle import BundleError, open_bundle
from kiosk.update.fetch import FetchError, fetch_bundle
from kiosk.update.layout import Layout

STAGED = "next.tar"


def load_update_key(spec: str | None, base_dir: str | Path | None = None) -> Ed25519PublicKey | None:
    """The station's update public key from `[update] public_key` (hex, or a PEM path relative to
    `base_dir`), or None when none is configured. Raises UpdateError for a key that cannot be read."""
    from kiosk.services.fleet.signing import load_public

    if not spec:
        return None
    s = spec.strip()
    if not (len(s) == 64 and all(c in "0123456789abcdefABCDEF" for c in s)) and base_dir is not None:
        if not Path(s).is_absolute():
            s = str(Path(base_dir) / s)
    try:
        return load_public(s)
    except ValueError as exc:
        raise UpdateError(f"[update] public_key: {exc}") from None


def apply_notice(info: dict[str, Any], settings: Any, base_dir: str | Path | None = None) -> dict[str, Any]:
    url = info.get("url")
    version = info.get("version")
    if not isinstance(url, str) or not url:
        raise UpdateError("the notice has no url: nothing to fetch")
    key = load_update_key(settings.public_key, base_dir)
    if key is None:
        raise UpdateError("no update public key configured ([update] public_key): the bundle cannot be verified")
    layout = Layout(settings.root)
    layout.ensure()
    try:
        fetched = fetch_bundle(url, layout.incoming, settings.max_bundle_mb << 20, settings.fetch_timeout_s,
                               sha256=info.get("sha256"), name=f".fetched-{secrets.token_hex(4)}.tar")
    except FetchError as exc:
        raise UpdateError(str(exc)) from None
    try:
        try:
            with open_bundle(fetched, key, max_bytes=settings.max_bundle_mb << 20) as vb:
                got = vb.manifest.version
        except BundleError as exc:
            raise UpdateError(f"{url}: {exc}") from None
        if version and got != version:
            raise UpdateError(f"{url}: the bundle is version {got}, the notice announced {version}")
        if settings.apply_via == "process":
            result = apply_bundle(fetched, settings, key)
            if not result.ok:
                raise UpdateError(result.detail)
            return {"detail": result.detail, "outcome": result.outcome, "version": result.version,
                    "previous": result.previous}
        staged = layout.incoming / STAGED
        fetched.replace(staged)
        ok, note = run_bounded(expand(settings.handoff_command, version=got, root=str(layout.root),
                                      env=str(layout.version_dir(got))), 60.0)
        if not ok:
            raise UpdateError(f"bundle {got} verified and staged at {staged}, but the handoff failed: {note}")
        return {"detail": f"bundle {got} verified and staged; {settings.handoff_command.split()[-1]} applies it",
                "outcome": "staged", "version": got}
    finally:
        fetched.unlink(missing_ok=True)
