"""`kiosk update ...`: signed update bundles (ADR 0142).

    kiosk update keygen --out update-key.pem                 # back office: private key (0600) + prints the public hex
    kiosk update build --key update-key.pem --version 0.2.0 --out kiosk-0.2.0.tar dist/*.whl
    kiosk update apply kiosk-0.2.0.tar [--root /opt/kiosk]   # station: verify, install, switch, restart, check
    kiosk update status [--root /opt/kiosk]                  # current, installed, last result, leftovers
    kiosk update rollback --if-unconfirmed                   # kiosk-update-rollback.service

Settings come from `[update]` of `--config` (default /etc/kiosk/station.toml when it exists);
each flag below overrides its key. Exit status: 0 applied / already current; 1 refused, failed or
rolled back (the message says which and why).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from kiosk.cli._output import emit, fail

DEFAULT_CONFIG = "/etc/kiosk/station.toml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("update", help="signed update bundles: keygen, build, apply, status, rollback")
    us = p.add_subparsers(dest="update_command", metavar="ACTION")
    us.required = True

    k = us.add_parser("keygen", help="make the back office's update signing key")
    k.add_argument("--out", required=True, help="private key file to write (PEM, mode 0600)")
    k.add_argument("--force", action="store_true", help="overwrite an existing key file")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=_keygen)

    b = us.add_parser("build", help="sign wheels into a bundle (back office / CI)")
    b.add_argument("--key", required=True, help="the update private key (PEM)")
    b.add_argument("--out", required=True, help="bundle file to write")
    b.add_argument("--version", required=True, help="the version this bundle installs")
    b.add_argument("wheels", nargs="+", metavar="WHEEL")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=_build)

    for name, helptext, func in (("apply", "verify and install a bundle, roll back if it does not come up", _apply),
                                 ("status", "what is installed and what the last update did", _status),
                                 ("rollback", "go back to the version before an unconfirmed update", _rollback)):
        a = us.add_parser(name, help=helptext)
        if name == "apply":
            a.add_argument("bundle", metavar="BUNDLE")
        if name == "rollback":
            a.add_argument("--if-unconfirmed", action="store_true", required=True,
                           help="only when the last switch was never confirmed healthy (the only mode)")
        a.add_argument("--config", default=None, help=f"station config with [update] (default {DEFAULT_CONFIG} "
                                                      "when it exists)")
        a.add_argument("--root", default=None, help="install root (default [update] root, /opt/kiosk)")
        a.add_argument("--public-key", default=None, help="update public key: 64 hex characters or a PEM file")
        a.add_argument("--restart-command", default=None)
        a.add_argument("--restart-timeout", type=float, default=None, metavar="S")
        a.add_argument("--selftest-command", default=None, help="'' for none; {env} {version} {root} are filled in")
        a.add_argument("--selftest-timeout", type=float, default=None, metavar="S")
        a.add_argument("--system-site-packages", action="store_true", default=None,
                       help="new envs see the system site-packages")
        a.add_argument("--no-venv-pip", action="store_true", default=None,
                       help="install with this interpreter's pip instead of the new env's own (faster)")
        a.add_argument("--no-deps", action="store_true", default=None, help="install only the bundle's wheels")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=func)


def settings_from(args: argparse.Namespace) -> tuple[Any, Path | None]:
    """The [update] settings (config file + flags) and the directory relative key paths are read in."""
    from kiosk.config import load_config
    from kiosk.config.update import UpdateSection

    base: Path | None = None
    if args.config or os.path.exists(DEFAULT_CONFIG):
        path = Path(args.config or DEFAULT_CONFIG)
        section = load_config(path).update  # ConfigError names the file and key
        base = path.resolve().parent
    else:
        section = UpdateSection()
    over: dict[str, Any] = {}
    for flag, key in (("root", "root"), ("public_key", "public_key"), ("restart_command", "restart_command"),
                      ("restart_timeout", "restart_timeout_s"), ("selftest_command", "selftest_command"),
                      ("selftest_timeout", "selftest_timeout_s")):
        if getattr(args, flag) is not None:
            over[key] = getattr(args, flag)
    if args.system_site_packages:
        over["venv_system_site_packages"] = True
    if args.no_venv_pip:
        over["venv_pip"] = False
    if args.no_deps:
        over["pip_no_deps"] = True
    if args.public_key is not None:
        base = Path.cwd()
    return (UpdateSection.model_validate({**section.model_dump(), **over}) if over else section), base


def _keygen(args: argparse.Namespace) -> int:
    from kiosk.services.fleet import signing

    out = Path(args.out)
    if out.exists() and not args.force:
        return fail(args, f"{out} exists; a new key would orphan every station that trusts the old one "
                          "(use --force to replace it)")
    key = signing.generate()
    signing.save_private(key, out)
    pub = signing.public_hex(key)
    emit(args, {"private_key": str(out), "public_key": pub},
         f"update key written to {out} (keep it in the back office only)\n"
         f"stations trust it with:  [update] public_key = \"{pub}\"")
    return 0


def _build(args: argparse.Namespace) -> int:
    from kiosk.services.fleet import signing
    from kiosk.update.bundle import BundleError, build_bundle

    try:
        key = signing.load_private(args.key)
        manifest = build_bundle(key, args.wheels, args.out, args.version)
    except (ValueError, BundleError) as exc:
        return fail(args, str(exc))
    emit(args, {"bundle": args.out, "version": manifest.version, "wheels": [w.file for w in manifest.wheels]},
         f"bundle {args.out}: version {manifest.version}, {len(manifest.wheels)} wheel(s), signed")
    return 0


def _settings_or_fail(args: argparse.Namespace) -> tuple[Any, Any] | int:
    from pydantic import ValidationError

    from kiosk.config import ConfigError
    from kiosk.update.apply import UpdateError
    from kiosk.update.notice import load_update_key

    try:
        settings, base = settings_from(args)
        key = load_update_key(settings.public_key, base) if args.func is _apply else None
    except (ConfigError, UpdateError) as exc:
        return fail(args, str(exc))
    except ValidationError as exc:
        return fail(args, "bad option: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                     for e in exc.errors()))
    return settings, key


def _report(args: argparse.Namespace, result: Any) -> int:
    text = "\n".join([f"kiosk update: {result.outcome}: {result.detail}"] + [f"  - {s}" for s in result.steps])
    if result.ok:
        emit(args, result.as_dict(), text)
        return 0
    if args.json:
        emit(args, result.as_dict(), text)
    return fail(args, f"{result.outcome}: {result.detail}" + ("" if args.json else "\n" + text))


def _apply(args: argparse.Namespace) -> int:
    from kiosk.update.apply import UpdateError, apply_bundle

    got = _settings_or_fail(args)
    if isinstance(got, int):
        return got
    settings, key = got
    try:
        result = apply_bundle(args.bundle, settings, key)
    except UpdateError as exc:
        return fail(args, f"update refused, nothing changed: {exc}")
    return _report(args, result)


def _rollback(args: argparse.Namespace) -> int:
    from kiosk.update.apply import UpdateError, rollback_pending

    got = _settings_or_fail(args)
    if isinstance(got, int):
        return got
    try:
        result = rollback_pending(got[0])
    except UpdateError as exc:
        return fail(args, str(exc))
    return _report(args, result)


def _status(args: argparse.Namespace) -> int:
    from kiosk.update.bundle import read_manifest_unverified
    from kiosk.update.layout import Layout, LayoutError
    from kiosk.update.notice import STAGED

    got = _settings_or_fail(args)
    if isinstance(got, int):
        return got
    layout = Layout(got[0].root)
    try:
        current = layout.current()
    except LayoutError as exc:
        return fail(args, str(exc))
    staged = layout.incoming / STAGED
    staged_version = None
    if staged.is_file():
        try:
            staged_version = read_manifest_unverified(staged).version
        except Exception as exc:  # display only
            staged_version = f"unreadable ({exc})"
    state = layout.read_state()
    payload = {"root": str(layout.root), "current": current,
               "installed": [{"version": v.version, "complete": v.complete} for v in layout.installed()],
               "leftovers": [p.name for p in layout.leftovers()], "pending": state.get("pending"),
               "previous": state.get("previous"), "last": state.get("last"), "staged": staged_version}
    lines = [f"root      {layout.root}", f"current   {current or '(nothing installed)'}",
             "installed " + (", ".join(v.version + ("" if v.complete else " (incomplete)")
                                       for v in layout.installed()) or "-")]
    if payload["pending"]:
        lines.append(f"pending   {payload['pending']['version']} switched in, not yet confirmed healthy")
    if payload["last"]:
        last = payload["last"]
        lines.append(f"last      {last.get('outcome')} {last.get('version') or ''} at {last.get('at')}: "
                     f"{last.get('detail', '')}"[:400])
    if payload["leftovers"]:
        lines.append(f"leftovers {', '.join(payload['leftovers'])} (removed by the next apply)")
    if staged_version:
        lines.append(f"staged    {staged} ({staged_version})")
    emit(args, payload, "\n".join(lines) if not args.json else json.dumps(payload))
    return 0
