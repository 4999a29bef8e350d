#!/usr/bin/env bash
# Brings a checkout to a runnable state; cheap when nothing changed. Called by ./dev and .ci/run.
#   --browser  also make sure Debian's Chromium is installed (browser tests drive it headless).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh

# Dependencies, exactly as locked. Re-run when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "mlkit setup: npm ci" >&2
  # Some registries (mirrors that carry only this platform's binaries) leave the lockfile without
  # other platforms' optional packages, and `npm ci` then refuses it as "out of sync". `npm install`
  # installs the same locked versions there; the lockfile must come out unchanged.
  if ! npm ci --no-audit --no-fund 2>/tmp/mlkit-npm-ci.log; then
    if grep -q "Missing: .* from lock file" /tmp/mlkit-npm-ci.log; then
      echo "mlkit setup: npm ci refused this registry's partial platform set; npm install from the lockfile" >&2
      cp package-lock.json /tmp/mlkit-lock.before
      npm install --no-audit --no-fund
      if ! cmp -s package-lock.json /tmp/mlkit-lock.before; then
        echo "mlkit setup: package-lock.json is out of date with package.json; run 'npm install' and commit it" >&2
        exit 1
      fi
    else
      cat /tmp/mlkit-npm-ci.log >&2
      exit 1
    fi
  fi
  touch node_modules/.package-lock.json
fi

# Build every package when any source or build config is newer than the last build.
stamp=node_modules/.mlkit-build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src packages/*/src tsup.config.ts packages/*/tsup.config.ts package.json packages/*/package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "mlkit setup: build" >&2
  npm run build --silent
  touch "$stamp"
fi

# Tiny real ONNX models the tests and examples use (generated, never downloaded).
node scripts/fixtures.ts

if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "mlkit setup: installing Debian chromium for the browser tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "mlkit setup: browser tests need Chromium at /usr/bin/chromium (apt-get install chromium); they will be skipped" >&2
  fi
fi
