#!/usr/bin/env bash
# Brings a checkout to a runnable state; cheap when nothing changed. Called by ./dev and .ci/run.
#   --browser  also make sure Debian's Chromium is installed (browser tests drive it headless).
#   --python   also make the Python venv the tests and the server bench run against (the demo needs neither).
#   --haproxy  also make sure Debian's haproxy is installed (the load-balancer drill runs replicas behind it).
#   --runtimes also fetch the Node 22 the runtime jobs run under (test/runtimes/, `./dev runtimes`);
#              Bun and Deno come from npm ci (the dev dependencies `bun` and `deno`).
set -euo pipefail
want_browser=false want_python=false want_haproxy=false want_runtimes=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    --python) want_python=true ;;
    --haproxy) want_haproxy=true ;;
    --runtimes) want_runtimes=true ;;
    *) echo "mlkit setup: unknown option $arg (use --browser, --python, --haproxy, --runtimes)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/toolchain.sh

# Dependencies, exactly as locked. Re-run when the lockfile changed since the last install.
# The lockfile holds every platform's optional packages (as npm writes it against a registry that
# serves them all), so `npm ci` accepts it whichever platforms this registry serves, and it never
# rewrites it. To change dependencies: `./dev npm install ...` and commit package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "mlkit setup: npm ci" >&2
  npm ci --no-audit --no-fund
  touch node_modules/.package-lock.json
fi

# Build every package when any source or build config is newer than the last build.
stamp=node_modules/.mlkit-build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src packages/*/src tsconfig.dist.json packages/*/tsup.config.ts package.json packages/*/package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "mlkit setup: build" >&2
  npm run build --silent
  touch "$stamp"
fi

# Tiny real ONNX models the tests and examples use (generated, never downloaded).
node scripts/fixtures.ts

# The Python side of the tests: .venv from scripts/requirements.txt (the openai SDK, Seldon MLServer,
# KServe's model server, tritonclient, FastAPI + scikit-learn; about 0.7 GB, 2 minutes), rebuilt only when
# that file changed (its sha256 is kept in .venv/.requirements.sha256). Without python3 or the registry
# the step only warns: those tests skip, or fail under CI=true.
requirements_sha="$(sha256sum scripts/requirements.txt | cut -d' ' -f1)"
if $want_python && [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$requirements_sha" ]; then
  echo "mlkit setup: python venv .venv from scripts/requirements.txt" >&2
  rm -rf .venv
  if python3 -m venv .venv && .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt; then
    echo "$requirements_sha" > .venv/.requirements.sha256
  else
    rm -rf .venv
    echo "mlkit setup: could not build .venv (python3 -m venv + pip); the Python SDK and peer tests need it" >&2
  fi
fi

if $want_browser && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "mlkit setup: installing Debian chromium for the browser tests" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "mlkit setup: browser tests need Chromium at /usr/bin/chromium (apt-get install chromium); they will be skipped" >&2
  fi
fi

# The load-balancer drill (test/e2e/load-balancer-drill.test.ts) puts haproxy in front of three replicas.
# Without it the drill skips, saying so in its name; under CI=true a haproxy that cannot be installed fails setup.
if $want_haproxy && ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "mlkit setup: installing Debian haproxy for the load-balancer drill" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  elif [ "${CI:-}" = "true" ]; then
    echo "mlkit setup: the load-balancer drill needs haproxy (apt-get install haproxy, as root); CI=true, so this fails" >&2
    exit 1
  else
    echo "mlkit setup: the load-balancer drill needs haproxy (apt-get install haproxy); it will be skipped" >&2
  fi
fi

# The Node 22 job (test/runtimes/node22.ts) runs the oldest Node line the packages support, fetched
# as Node 24 is (mlkit_fetch_node in scripts/toolchain.sh), once into .toolchain/node-v<version>/.
node22_version=22.23.5
node22_dir=.toolchain/node-v$node22_version
if $want_runtimes && [ ! -x "$node22_dir/bin/node" ]; then
  echo "mlkit setup: Node $node22_version for the Node 22 job" >&2
  mlkit_fetch_node "$node22_version" "$node22_dir" || exit 1
fi
