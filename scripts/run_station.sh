#!/usr/bin/env bash
# `make run`: the whole system on one machine — a private mosquitto, the back office with its console,
# and the station on simulated devices (config/sim.toml). Without a display the station says so, plays
# the scripted visits through the real screens on a virtual one, and the run ends. See scripts/run_system.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1
export KIVY_HOME="${KIVY_HOME:-$PWD/var/kivy-home}"
mkdir -p "$KIVY_HOME"
exec .venv/bin/python scripts/run_system.py "$@"
