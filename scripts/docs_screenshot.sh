#!/usr/bin/env bash
# Docs build step: render the example HTML report (examples/report/estate.py) and screenshot its first
# screen (1400x900) with headless chromium into docs/screenshots/ (or $OUT_DIR).
# Usage: bash scripts/docs_screenshot.sh   (tests/sinks/report/test_report_formats.py runs it and checks the committed page)
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$CHROMIUM" ]; then
  echo "chromium not found: apt-get install -y chromium" >&2
  exit 2
fi
out="${OUT_DIR:-docs/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 examples/report/estate.py > "$out/example-report.html"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$tmp" --window-size=1400,900 \
  --screenshot="$out/example-report.png" "file://$out/example-report.html" >/dev/null 2>&1
test -s "$out/example-report.png"
echo "wrote $out/example-report.html and $out/example-report.png"
