"""Apply a signed bundle: verify everything, install beside the running version, switch, restart,
check, and roll back by itself when the new version does not come up.

    result = apply_bundle("kiosk-0.2.0.tar", settings, public_key)    # settings: kiosk.config.update.UpdateSection
    result.outcome    # applied | already_current | rolled_back | failed (nothing switched)

Order (ADR 0142):
1. take the update lock; remove what a killed apply left (`.partial-*` envs, temporary links);
2. `open_bundle`: member list, signature, manifest, every wheel's size and SHA-256 - a bad bundle
   stops here and nothing under the root has changed;
3. build `versions/.partial-<v>-<rand>/` (venv + pip from the bundle only), fix its script paths,
   write its marker, rename it to `versions/<v>/`;
4. record `pending` in state.json, point `current` at the new version (atomic symlink replace);
5. run the restart command (Type=notify: `systemctl restart` returns when READY=1 came, fails when
   the start failed or timed out), then the self-test command, each within its bound;
6. good: state `applied`, old versions beyond `keep_versions` pruned. Not good: `current` back to
   the previous version, restart again, state `rolled_back` (the bad version stays on disk for
   diagnosis until pruned).
`rollback_pending` is what kiosk-update-rollback.service runs when the station fails for good after
a switch whose check never finished (the apply itself was killed, e.g. a power cut).
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.core.journal_log import MESSAGE_IDS
from kiosk.update.bundle import BundleError, open_bundle
from kiosk.update.install import InstallError, install_env, relocate_scripts
from kiosk.update.layout import Layout, LayoutError

log = logging.getLogger(__name__)


class UpdateError(Exception):
    """An update that could not be applied; nothing was switched (or it was switched back)."""


@dataclass
class ApplyResult:
    outcome: str  # applied | already_current | rolled_back | failed
    version: str | None
    previous: str | None
    detail: str
    steps: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome in ("applied", "already_current")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def expand(command: str, **values: str) -> list[str]:
    """Split a configured command line and fill {env} {version} {root} in each word."""
    return [word.format(**values) for word in shlex.split(command)]


def run_bounded(cmd: list[str], timeout: float) -> tuple[bool, str]:
    """Run a check; (ok, what happened) - never raises."""
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"{shlex.join(cmd)}: no answer within {timeout:g} s"
    except OSError as exc:
        return False, f"{shlex.join(cmd)}: cannot run: {exc}"
    out = proc.stdout.decode("utf-8", "replace").strip().splitlines()[-3:]
    if proc.returncode != 0:
        return False, f"{shlex.join(cmd)}: exit {proc.returncode}" + (f" ({' | '.join(out)[-300:]})" if out else "")
    return True, f"{shlex.join(cmd)}: ok"


def check_version(layout: Layout, version: str, settings: Any) -> tuple[bool, list[str]]:
    """Restart on `current` and run the self-test; (healthy, notes)."""
    values = {"env": str(layout.version_dir(version)), "version": version, "root": str(layout.root)}
    ok, note = run_bounded(expand(settings.restart_command, **values), settings.restart_timeout_s)
    notes = [f"restart: {note}"]
    if ok and settings.selftest_command.strip():
        ok, note = run_bounded(expand(settings.selftest_command, **values), settings.selftest_timeout_s)
        notes.append(f"self-test: {note}")
    return ok, notes


def apply_bundle(bundle: str | Path, settings: Any, public_key: Ed25519PublicKey | None) -> ApplyResult:
    """Verify and install `bundle`, switch to it, check it, roll back when it is not healthy."""
    if public_key is None:
        raise UpdateError("no update public key configured ([update] public_key): this station refuses every bundle")
    layout = Layout(settings.root)
    try:
        with layout.locked():
            return _apply_locked(layout, Path(bundle), settings, public_key)
    except LayoutError as exc:
        raise UpdateError(str(exc)) from None


def _apply_locked(layout: Layout, bundle: Path, settings: Any, public_key: Ed25519PublicKey) -> ApplyResult:
    steps: list[str] = []
    cleaned = layout.clean_leftovers()
    if cleaned:
        steps.append(f"removed what an interrupted apply left: {', '.join(cleaned)}")
    previous = layout.current()
    try:
        with open_bundle(bundle, public_key, max_bytes=settings.max_bundle_mb << 20) as vb:
            version = vb.manifest.version
            steps.append(f"verified {bundle.name}: version {version}, {len(vb.manifest.wheels)} wheel(s), "
                         "signature and hashes good")
            if previous == version:
                return ApplyResult("already_current", version, previous, f"version {version} is already current",
                                   steps)
            partial = layout.partial_dir(version)
            try:
                install_env(partial, vb.wheel_paths, vb.wheel_dir, settings)
                relocate_scripts(partial, layout.version_dir(version))
                layout.commit_version(partial, version, vb.manifest.to_json())
            except (InstallError, OSError) as exc:
                layout.clean_leftovers()
                layout.save_state(last={"version": version, "outcome": "failed", "at": _now(), "detail": str(exc)})
                log.error("update %s not installed: %s", version, exc, extra={"message_id": MESSAGE_IDS["update.rejected"]})
                return ApplyResult("failed", version, previous, f"install failed: {exc}", steps)
            steps.append(f"installed {layout.version_dir(version)}")
    except BundleError as exc:
        log.error("update bundle %s refused: %s", bundle, exc, extra={"message_id": MESSAGE_IDS["update.rejected"]})
        layout.save_state(last={"version": None, "outcome": "refused", "at": _now(), "detail": str(exc)})
        raise UpdateError(str(exc)) from None

    layout.save_state(pending={"version": version, "previous": previous, "since": _now()})
    layout.switch(version)
    steps.append(f"current -> {version} (was {previous or 'nothing'})")
    healthy, notes = check_version(layout, version, settings)
    steps += notes
    if healthy:
        layout.save_state(current=version, previous=previous, pending=None,
                          last={"version": version, "outcome": "applied", "at": _now(), "detail": "; ".join(notes)})
        pruned = layout.prune(settings.keep_versions, {version, previous} - {None})
        if pruned:
            steps.append(f"removed old versions {', '.join(pruned)}")
        log.warning("update %s applied (was %s)", version, previous,
                    extra={"message_id": MESSAGE_IDS["update.applied"]})
        return ApplyResult("applied", version, previous, f"version {version} is running", steps)
    steps += _roll_back(layout, previous, settings)
    why = notes[-1]
    layout.save_state(current=previous, pending=None, bad=version,
                      last={"version": version, "outcome": "rolled_back", "at": _now(), "detail": why})
    log.error("update %s did not come up (%s): rolled back to %s", version, why, previous,
              extra={"message_id": MESSAGE_IDS["update.rolled_back"]})
    return ApplyResult("rolled_back", version, previous,
                       f"version {version} did not come up ({why}); back on {previous or 'nothing'}", steps)


def _roll_back(layout: Layout, previous: str | None, settings: Any) -> list[str]:
    layout.switch(previous)
    steps = [f"current -> {previous or 'nothing'} (rolled back)"]
    if previous is not None:
        values = {"env": str(layout.version_dir(previous)), "version": previous, "root": str(layout.root)}
        ok, note = run_bounded(expand(settings.restart_command, **values), settings.restart_timeout_s)
        steps.append(f"restart on {previous}: {note}")
        if not ok:
            log.error("restart after the rollback to %s failed: %s", previous, note)
    return steps


def rollback_pending(settings: Any) -> ApplyResult:
    """If a switch was never confirmed healthy (the apply was killed), go back to the version before it."""
    layout = Layout(settings.root)
    try:
        with layout.locked():
            state = layout.read_state()
            pending = state.get("pending")
            current = layout.current()
            if not isinstance(pending, dict) or pending.get("version") != current:
                return ApplyResult("already_current", current, None, "no unconfirmed update: nothing to roll back")
            previous = pending.get("previous")
            steps = _roll_back(layout, previous, settings)
            layout.save_state(current=previous, pending=None, bad=current,
                              last={"version": current, "outcome": "rolled_back", "at": _now(),
                                    "detail": "the station failed after an unconfirmed update"})
            log.error("unconfirmed update %s rolled back to %s", current, previous,
                      extra={"message_id": MESSAGE_IDS["update.rolled_back"]})
            return ApplyResult("rolled_back", current, previous, f"back on {previous or 'nothing'}", steps)
    except LayoutError as exc:
        raise UpdateError(str(exc)) from None
