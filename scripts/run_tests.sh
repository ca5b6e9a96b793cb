#!/usr/bin/env bash
# Runs the whole test suite in the project's virtual environment (after scripts/bootstrap.sh).
# Tests start their own pcscd, mosquitto and virtual display where they need them.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 KIVY_USE_DEFAULTCONFIG=1 KIVY_NO_CONSOLELOG=1
export KIVY_HOME="${KIVY_HOME:-$PWD/var/kivy-home}"
mkdir -p "$KIVY_HOME"
exec .venv/bin/python -m pytest "$@"
