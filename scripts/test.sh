#!/usr/bin/env bash
# Install everything the test suite needs (system binaries + Python extras) and run it.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
why=()
want() { need+=("$1"); why+=("  $1: $2"); }
command -v nmap >/dev/null 2>&1 || want nmap "the external-scan tests run the real nmap against 127.0.0.1"
command -v openssl >/dev/null 2>&1 || want openssl "the TLS tests start openssl s_server with per-case settings"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want postgresql "the history tests use a throw-away PostgreSQL"
command -v chromium >/dev/null 2>&1 || want chromium "the HTML report is checked in headless Chromium"
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing system packages with apt-get (missing on this machine):"
  printf '%s\n' "${why[@]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# This project's distribution is posture-scan; a distribution named `posture` (its old name, or the unrelated
# project of that name on the package index) would shadow the `posture` import package.
if python3 -m pip show -q posture >/dev/null 2>&1; then
  echo "removing the installed distribution 'posture' (it would shadow this checkout's posture package)"
  python3 -m pip uninstall -y -q posture
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
echo "ruff (lint) and mypy (types) over the whole package"
python3 -m ruff check posture tests benchmarks scripts
python3 -m mypy
python3 -m pytest -n 2 -q "$@"
