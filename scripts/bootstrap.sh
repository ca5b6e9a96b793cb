#!/usr/bin/env bash
# Installs everything the station needs on a fresh Debian/Ubuntu machine, and is safe to run again:
# system packages (apt, as root or through sudo), a virtual environment in .venv, the Python packages.
# Each step is skipped when it is already done, so `make run` / `make test` stay fast the second time.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  # devices and their middleware
  libzbar0 libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools
  # the fleet broker
  mosquitto mosquitto-clients
  # the touch screen: virtual display, touch input, GL, a Simplified-Chinese font
  xvfb xauth libmtdev1 libgl1 libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri libglib2.0-0
  fonts-wqy-microhei fonts-dejavu-core
  # certificates (材料打印): a private CUPS with a PDF printer in tests and `make run`; pdftotext
  cups cups-client cups-bsd printer-driver-cups-pdf poppler-utils libcups2-dev
  # voice prompts and their checks
  espeak-ng sox alsa-utils
  # deployment: the station's display server (deploy/systemd/kiosk-display.service) and
  # systemd-analyze, which checks the unit files offline (tests/deploy/test_units.py)
  xserver-xorg-core xserver-xorg-input-libinput systemd
  # the back office: PostgreSQL for a city (tests start a private cluster as the postgres user)
  # and the real browser its console tests drive (Selenium -> chromedriver -> chromium)
  postgresql chromium chromium-driver
  # the official AsyncAPI parser (tools/asyncapi/) that checks docs/contract/asyncapi.json;
  # npm is added by missing_packages only when no npm command exists (NodeSource's nodejs bundles
  # npm and conflicts with Debian's npm package)
  nodejs
  # building Python wheels that have no binary for this platform
  gcc python3-dev python3-venv swig
)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

missing_packages() {
  local p
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
  command -v npm >/dev/null 2>&1 || echo npm
}

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install the equivalents of: ${SYSTEM_PACKAGES[*]}"
    return 0
  fi
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      say "these system packages are missing and I cannot install them without root or sudo:"
      say "  $missing"
      say "install them with:  sudo apt-get install -y $missing"
      exit 1
    fi
  fi
  say "installing system packages: $missing"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

pick_python() {
  local c
  for c in python3.11 python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null 2>&1 &&
       "$c" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

make_venv() {
  local py
  if [ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    return 0
  fi
  if ! py=$(pick_python); then
    say "no Python 3.11-3.13 found; installing python3.11 from the distribution"
    DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq python3.11 python3.11-venv python3.11-dev >/dev/null
    py=python3.11
  fi
  say "creating .venv with $($py --version)"
  rm -rf .venv
  "$py" -m venv .venv
}

install_python_packages() {
  local stamp=.venv/.stamp-deps want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c 'import kiosk' 2>/dev/null; then
    return 0
  fi
  say "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
}

fetch_samples() {
  # sample face photographs for the simulators, fetched by package name from the registry (hw_sim/faces/samples.py)
  .venv/bin/python -m hw_sim.faces.samples >/dev/null || { say "could not fetch the sample faces (see above)"; exit 1; }
}

install_asyncapi_parser() {
  # tools/asyncapi/node_modules from package-lock.json (tests/fleet/test_asyncapi.py runs it);
  # --ignore-scripts: the parser needs no install script (one dependency's only script is telemetry)
  local lock=tools/asyncapi/package-lock.json stamp=tools/asyncapi/node_modules/.stamp-lock want
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "no node/npm: the AsyncAPI parser test will be skipped"
    return 0
  fi
  want=$(sha256sum "$lock" | cut -c1-16)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  say "installing the AsyncAPI parser into tools/asyncapi/node_modules"
  (cd tools/asyncapi && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    { say "npm ci in tools/asyncapi failed (see above)"; exit 1; }
  echo "$want" > "$stamp"
}

install_system_packages
make_venv
install_python_packages
install_asyncapi_parser
fetch_samples
say "ready"
