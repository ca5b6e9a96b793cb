#!/usr/bin/env bash
# Brings up the station with simulated devices (config/sim.toml). Without a display it says so and
# runs on a virtual one; see `kiosk run --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1
export KIVY_HOME="${KIVY_HOME:-$PWD/var/kivy-home}"
mkdir -p "$KIVY_HOME"
exec .venv/bin/kiosk run --config "${KIOSK_CONFIG:-config/sim.toml}" "$@"
