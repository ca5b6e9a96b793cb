"""Signed updates with rollback, on real files, real venvs, real pip (offline) and a tiny hand-made
wheel: a good bundle; bad signature; corrupt wheel; hostile tar members; failing self-test and a
restart that never says READY -> rollback; kill -9 mid-install -> the old version still starts
and the next apply cleans up; an unconfirmed switch rolled back by the rollback unit's command;
the CLI end to end.

The restart command of these tests appends what `current` points at to <root>/restarts.log, so a
test sees which version each restart would have brought up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from kiosk.config.update import UpdateSection
from kiosk.services.fleet import signing
from kiosk.update.apply import UpdateError, apply_bundle, rollback_pending
from kiosk.update.bundle import build_bundle
from kiosk.update.layout import Layout
from tests.deploy.wheels import make_wheel

ROOT = Path(__file__).resolve().parents[2]
RESTART = "sh -c 'readlink {root}/current >> {root}/restarts.log'"


@pytest.fixture
def key():
    return signing.generate()


@pytest.fixture
def opt(tmp_path) -> Path:
    return tmp_path / "opt"


@pytest.fixture
def settings(opt) -> UpdateSection:
    return UpdateSection(root=str(opt), restart_command=RESTART, selftest_command="{env}/bin/kiosk selftest",
                         restart_timeout_s=30, selftest_timeout_s=30, venv_pip=False, pip_no_deps=True)


def bundle(tmp_path: Path, key, version: str, ok: bool = True, padding: int = 0) -> Path:
    out = tmp_path / f"kiosk-{version}.tar"
    build_bundle(key, [make_wheel(tmp_path / f"wheels-{version}", version, selftest_ok=ok, padding=padding)],
                 out, version)
    return out


def run_version(opt: Path) -> str:
    """Start what `current` points at, as the unit would (its console script)."""
    return subprocess.run([str(opt / "current" / "bin" / "kiosk"), "version"], capture_output=True, text=True,
                          check=True, timeout=30).stdout.strip()


def restarts(opt: Path) -> list[str]:
    f = opt / "restarts.log"
    return f.read_text().split() if f.exists() else []


def snapshot(opt: Path) -> tuple:
    """Everything under the root except the lock file (what 'nothing changed' compares)."""
    return tuple(sorted((str(p.relative_to(opt)), p.is_symlink() and os.readlink(p))
                        for p in opt.rglob("*") if p.name != "update.lock"))


@pytest.fixture
def on_v1(tmp_path, key, settings, opt):
    r = apply_bundle(bundle(tmp_path, key, "1.0.0"), settings, key.public_key())
    assert r.outcome == "applied", r
    return r


def test_good_bundle_installs_beside_switches_restarts_and_checks(tmp_path, key, settings, opt, on_v1):
    r = apply_bundle(bundle(tmp_path, key, "2.0.0"), settings, key.public_key())
    assert (r.outcome, r.version, r.previous) == ("applied", "2.0.0", "1.0.0"), r
    assert os.readlink(opt / "current") == "versions/2.0.0"
    assert run_version(opt) == "2.0.0"
    assert restarts(opt) == ["versions/1.0.0", "versions/2.0.0"]
    assert (opt / "versions" / "1.0.0" / "bin" / "kiosk").exists()  # the old one stays for a rollback
    state = json.loads((opt / "state.json").read_text())
    assert state["current"] == "2.0.0" and state["previous"] == "1.0.0" and state["pending"] is None
    assert state["last"]["outcome"] == "applied"
    again = apply_bundle(bundle(tmp_path, key, "2.0.0"), settings, key.public_key())
    assert again.outcome == "already_current" and restarts(opt) == ["versions/1.0.0", "versions/2.0.0"]


def test_bad_signature_is_refused_before_anything_changes(tmp_path, key, settings, opt, on_v1):
    before = snapshot(opt)
    forged = bundle(tmp_path, signing.generate(), "2.0.0")  # signed by a key this station does not trust
    with pytest.raises(UpdateError, match="bad signature"):
        apply_bundle(forged, settings, key.public_key())
    after = [p for p in snapshot(opt) if p[0] != "state.json"]
    assert after == [p for p in before if p[0] != "state.json"]
    assert run_version(opt) == "1.0.0" and restarts(opt) == ["versions/1.0.0"]
    assert json.loads((opt / "state.json").read_text())["last"]["outcome"] == "refused"


def test_a_tampered_manifest_fails_the_signature(tmp_path, key, settings, opt, on_v1):
    good = bundle(tmp_path, key, "2.0.0")
    data = bytearray(good.read_bytes())
    i = data.find(b'"version": "2.0.0"')
    data[i:i + 18] = b'"version": "9.0.0"'
    good.write_bytes(bytes(data))
    with pytest.raises(UpdateError, match="bad signature"):
        apply_bundle(good, settings, key.public_key())
    assert os.readlink(opt / "current") == "versions/1.0.0"


def test_corrupt_wheel_is_refused_by_its_hash(tmp_path, key, settings, opt, on_v1):
    b = bundle(tmp_path, key, "2.0.0")
    with tarfile.open(b) as tar:
        m = tar.getmember("wheels/kiosk_probe-2.0.0-py3-none-any.whl")
        offset = m.offset_data + m.size // 2
    data = bytearray(b.read_bytes())
    data[offset] ^= 0xFF  # one flipped bit in transit
    b.write_bytes(bytes(data))
    before = snapshot(opt)
    with pytest.raises(UpdateError, match=r"kiosk_probe-2\.0\.0-py3-none-any\.whl has SHA-256 .* signed manifest says"):
        apply_bundle(b, settings, key.public_key())
    assert [p for p in snapshot(opt) if p[0] != "state.json"] == [p for p in before if p[0] != "state.json"]
    assert run_version(opt) == "1.0.0"


def test_hostile_members_are_refused(tmp_path, key, settings, opt, on_v1):
    b = bundle(tmp_path, key, "2.0.0")
    with tarfile.open(b, "a") as tar:  # a symlink smuggled in beside the signed content
        link = tarfile.TarInfo("wheels/evil.whl")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(UpdateError, match="not a regular file"):
        apply_bundle(b, settings, key.public_key())
    b2 = bundle(tmp_path / "x", key, "2.0.0")
    with tarfile.open(b2, "a") as tar:
        extra = tmp_path / "payload.sh"
        extra.write_text("rm -rf /\n")
        tar.add(extra, arcname="../payload.sh")
    with pytest.raises(UpdateError, match="unexpected member '../payload.sh'"):
        apply_bundle(b2, settings, key.public_key())
    not_a_bundle = tmp_path / "junk.tar"
    not_a_bundle.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(UpdateError, match="not a bundle|damaged|missing"):
        apply_bundle(not_a_bundle, settings, key.public_key())


def test_failing_selftest_rolls_back_to_the_previous_version(tmp_path, key, settings, opt, on_v1):
    r = apply_bundle(bundle(tmp_path, key, "2.0.0", ok=False), settings, key.public_key())
    assert (r.outcome, r.version, r.previous) == ("rolled_back", "2.0.0", "1.0.0"), r
    assert "self-test" in r.detail and "exit 1" in r.detail
    assert os.readlink(opt / "current") == "versions/1.0.0"
    assert run_version(opt) == "1.0.0"
    # restarted on the new one, then again on the old one
    assert restarts(opt) == ["versions/1.0.0", "versions/2.0.0", "versions/1.0.0"]
    state = json.loads((opt / "state.json").read_text())
    assert state["last"]["outcome"] == "rolled_back" and state["bad"] == "2.0.0" and state["pending"] is None


def test_a_restart_that_never_reports_ready_rolls_back(tmp_path, key, settings, opt, on_v1):
    # `systemctl restart` of a Type=notify unit fails when READY=1 does not come: here, on 2.0.0 only
    s = settings.model_copy(update={"restart_command": RESTART[:-1] + "; test \"$(readlink {root}/current)\" "
                                                                      "!= versions/2.0.0'"})
    r = apply_bundle(bundle(tmp_path, key, "2.0.0"), s, key.public_key())
    assert r.outcome == "rolled_back" and "restart" in r.detail, r
    assert run_version(opt) == "1.0.0"


def _pip_child_of(pid: int) -> bool:
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"pip" in cmd:
            return True
    return False


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT, **kw)


def _apply_args(opt: Path, key_hex: str) -> list[str]:
    return ["--root", str(opt), "--public-key", key_hex, "--restart-command", RESTART,
            "--selftest-command", "{env}/bin/kiosk selftest", "--no-venv-pip", "--no-deps"]


def test_kill_9_mid_install_leaves_the_old_version_running_and_the_next_apply_cleans_up(tmp_path, key, opt, on_v1):
    b = bundle(tmp_path, key, "2.0.0", padding=8 << 20)
    pub = signing.public_hex(key)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "update", "apply", str(b), *_apply_args(opt, pub)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _pip_child_of(proc.pid):  # pip is running: the new env is half made
        assert proc.poll() is None, "the apply ended before pip was seen"
        assert time.monotonic() < deadline, "pip never started"
    os.killpg(proc.pid, signal.SIGKILL)  # the power cut: apply and pip die together
    proc.wait(10)
    layout = Layout(opt)
    assert layout.current() == "1.0.0"
    assert run_version(opt) == "1.0.0"  # the old version still starts
    assert not (opt / "versions" / "2.0.0").exists()
    assert any(p.name.startswith(".partial-2.0.0-") for p in layout.leftovers())
    status = _cli("update", "status", "--root", str(opt), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout.splitlines()[-1])["leftovers"]
    done = _cli("update", "apply", str(b), *_apply_args(opt, pub))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "removed what an interrupted apply left: .partial-2.0.0-" in done.stdout
    assert layout.leftovers() == [] and run_version(opt) == "2.0.0"


def test_an_unconfirmed_switch_is_rolled_back_by_the_rollback_unit(tmp_path, key, settings, opt, on_v1):
    # the apply was killed after switching to 2.0.0 and before its check: state says pending
    two = bundle(tmp_path, key, "2.0.0")
    s_noop = settings.model_copy(update={"restart_command": "true", "selftest_command": ""})
    apply_bundle(two, s_noop, key.public_key())
    Layout(opt).save_state(pending={"version": "2.0.0", "previous": "1.0.0", "since": "x"})
    r = rollback_pending(settings)
    assert r.outcome == "rolled_back" and r.previous == "1.0.0"
    assert run_version(opt) == "1.0.0" and restarts(opt)[-1] == "versions/1.0.0"
    again = rollback_pending(settings)  # nothing pending any more: a no-op
    assert again.outcome == "already_current" and run_version(opt) == "1.0.0"


def test_cli_keygen_build_apply_status_and_failure_exit_codes(tmp_path, opt):
    keyfile = tmp_path / "bo" / "update-key.pem"
    k = _cli("update", "keygen", "--out", str(keyfile), "--json")
    assert k.returncode == 0, k.stderr
    pub = json.loads(k.stdout.splitlines()[-1])["public_key"]
    assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert _cli("update", "keygen", "--out", str(keyfile)).returncode == 1  # never overwrites silently
    w1 = make_wheel(tmp_path / "w", "1.0.0")
    b1 = tmp_path / "kiosk-1.0.0.tar"
    built = _cli("update", "build", "--key", str(keyfile), "--version", "1.0.0", "--out", str(b1), str(w1))
    assert built.returncode == 0 and b1.exists(), built.stderr
    missing = _cli("update", "build", "--key", str(keyfile), "--version", "1.0.1", "--out", str(tmp_path / "x.tar"),
                   str(tmp_path / "nope.whl"))
    assert missing.returncode == 1 and "no such wheel file" in missing.stderr
    assert not (tmp_path / "x.tar").exists()
    applied = _cli("update", "apply", str(b1), *_apply_args(opt, pub))
    assert applied.returncode == 0, applied.stderr
    st = _cli("update", "status", "--root", str(opt))
    assert "current   1.0.0" in st.stdout
    nokey = _cli("update", "apply", str(b1), "--root", str(opt))
    assert nokey.returncode == 1 and "no update public key" in nokey.stderr
    bad = _cli("update", "apply", str(tmp_path / "absent.tar"), *_apply_args(opt, pub))
    assert bad.returncode == 1 and "no such bundle file" in bad.stderr
