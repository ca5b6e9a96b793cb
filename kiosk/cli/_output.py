"""Helpers every CLI module shares: print a result as text or as one JSON document, and fail
with a message that says what to check."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit(args: Any, payload: dict[str, Any], text: str | None = None) -> None:
    if getattr(args, "json", False):
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print(text if text is not None else json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def fail(args: Any, message: str, payload: dict[str, Any] | None = None, code: int = 1) -> int:
    print(f"kiosk: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({**(payload or {}), "error": message}, ensure_ascii=False, default=str))
    return code


def exit_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C (SystemExit 143), so every `finally` runs: the simulators, the
    store and the devices are closed on `kill`, a CI timeout or systemd stopping us too."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
