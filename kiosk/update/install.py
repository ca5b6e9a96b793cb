"""Build one version's environment: a venv under a temporary name, the bundle's wheels installed
with pip from the bundle only (`--no-index --find-links`), script paths fixed, renamed into place
by the caller (`Layout.commit_version`).

    install_env(partial_dir, wheels, wheel_dir, settings)     # raises InstallError

The venv is made at `versions/.partial-<v>-<rand>/` and renamed to `versions/<v>/` when complete.
A venv records its own path in console-script shebangs and activate scripts, so those are
rewritten to the final path before the rename (`relocate_scripts`); `bin/python` itself is a
symlink to the base interpreter and finds `pyvenv.cfg` beside it wherever the directory is.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

INSTALL_TIMEOUT_S = 900.0


class InstallError(Exception):
    """The new environment could not be built; nothing was switched."""


def _run(cmd: list[str], log_file: Path, what: str, timeout: float) -> None:
    with log_file.open("ab") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        try:
            proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise InstallError(f"{what} took longer than {timeout:g} s (see {log_file})") from None
        except OSError as exc:
            raise InstallError(f"{what} could not run: {exc}") from None
    if proc.returncode != 0:
        tail = log_file.read_text("utf-8", "replace").strip().splitlines()[-5:]
        raise InstallError(f"{what} failed (exit {proc.returncode}): " + " | ".join(tail)[-800:])


def install_env(partial: Path, wheels: Sequence[Path], wheel_dir: Path, settings: Any,
                python: str | None = None) -> None:
    """Create the venv at `partial` and install `wheels` (only from `wheel_dir`) into it."""
    python = python or sys.executable
    partial.parent.mkdir(parents=True, exist_ok=True)
    log_file = partial.parent / f"{partial.name}.log"
    venv = [python, "-m", "venv"]
    if settings.venv_system_site_packages:
        venv.append("--system-site-packages")
    if not settings.venv_pip:
        venv.append("--without-pip")
    _run(venv + [str(partial)], log_file, "creating the venv", INSTALL_TIMEOUT_S)
    env_python = str(partial / "bin" / "python")
    if settings.venv_pip:
        pip = [env_python, "-m", "pip"]
    else:  # the running interpreter's pip installs into the new env (pip >= 22.3)
        pip = [python, "-m", "pip", "--python", env_python]
    cmd = pip + ["install", "--no-index", "--find-links", str(wheel_dir), "--no-input",
                 "--disable-pip-version-check", "--no-cache-dir"]
    if settings.pip_no_deps:
        cmd.append("--no-deps")
    _run(cmd + [str(w) for w in wheels], log_file, "installing the wheels", INSTALL_TIMEOUT_S)
    try:
        (partial / "install.log").write_bytes(log_file.read_bytes())
    finally:
        log_file.unlink(missing_ok=True)


def relocate_scripts(env: Path, final: Path) -> int:
    """Rewrite `env`'s path to `final` in the text files of env/bin (shebangs, activate scripts).
    Returns how many files changed."""
    old, new = str(env).encode(), str(final).encode()
    changed = 0
    for p in (env / "bin").iterdir():
        if p.is_symlink() or not p.is_file():
            continue
        data = p.read_bytes()
        if old not in data or b"\0" in data[:4096]:
            continue
        mode = p.stat().st_mode
        p.write_bytes(data.replace(old, new))
        p.chmod(mode)
        changed += 1
    return changed
