"""Serve every simulator of a simulated station's config as ONE process of its own.

    python -m hw_sim.station.serve --config config/sim.toml --root var/sim-root [--free-ports]

Starts the simulators at the addresses the config's device URLs name (hw_sim/station/simulators.py),
serves the control API on `[simulator] control_socket` (under the root), then writes
`<root>/var/sim/urls.json` — {"urls": {role: URL}, "socket": PATH, "pid": N} — once everything
is up (written whole under a temporary name, so a reader never sees half of it), and runs until
SIGTERM/SIGINT — or until its standard input closes (the parent that started it died, even by
SIGKILL) — when it releases every pty, symlink and socket. `--config` also takes the JSON of
a validated StationConfig (what `SimProcess` passes for an in-memory config).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from hw_sim.control import serve_until_stopped
from hw_sim.station.simulators import start_simulators


def urls_file(root: Path) -> Path:
    return Path(root) / "var" / "sim" / "urls.json"


def load_station_config(path: str):  # noqa: ANN201 (kiosk's StationConfig)
    from kiosk.config import StationConfig, load_config

    if path.endswith(".json"):
        return StationConfig.model_validate_json(Path(path).read_text(encoding="utf-8"))
    return load_config(path)


def _exit_when_stdin_closes() -> None:
    """The parent holds our stdin open; EOF means it is gone: stop like on SIGTERM.

    Reads the raw descriptor: a daemon thread blocked in `sys.stdin.buffer.read` holds the buffer's
    lock, and at exit the interpreter waited ~1 s for it and then aborted (SIGABRT) on every stop."""
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hw_sim.station.serve", description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="station config (TOML, or the JSON of a StationConfig)")
    p.add_argument("--root", required=True, help="the station's directory ({root} in device URLs)")
    p.add_argument("--free-ports", action="store_true", help="any free TCP port instead of the configured ones")
    p.add_argument("--render-receipts", action="store_true", help="the printer renders each receipt to PNG")
    p.add_argument("--follow-parent", action="store_true", help="exit when standard input closes (the parent died)")
    args = p.parse_args(argv)
    root = Path(args.root).resolve()
    try:
        config = load_station_config(args.config)
    except Exception as exc:
        print(f"simulators: config {args.config}: {exc}", file=sys.stderr)
        return 2
    done = urls_file(root)
    done.unlink(missing_ok=True)
    try:
        hub, urls = start_simulators(config, root, free_ports=args.free_ports, out_dir=root / "out" / "receipts",
                                     render_receipts=args.render_receipts)
    except OSError as exc:
        print(f"simulators: cannot start: {exc} (is another simulated station running on these ports?)",
              file=sys.stderr)
        return 1
    sock = Path(config.simulator.control_socket)
    sock = sock if sock.is_absolute() else root / sock
    sock.parent.mkdir(parents=True, exist_ok=True)
    hub.serve(sock)
    done.parent.mkdir(parents=True, exist_ok=True)
    tmp = done.with_suffix(".tmp")
    tmp.write_text(json.dumps({"urls": urls, "socket": str(sock), "pid": os.getpid()}, indent=1))
    os.replace(tmp, done)
    print(f"simulators up (pid {os.getpid()}): " + ", ".join(f"{k} {v}" for k, v in urls.items()), flush=True)
    if args.follow_parent:
        threading.Thread(target=_exit_when_stdin_closes, name="parent-watch", daemon=True).start()
    try:
        return serve_until_stopped(hub)
    finally:
        done.unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
