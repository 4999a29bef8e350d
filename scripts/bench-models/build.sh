#!/usr/bin/env bash
# Builds the benchmark-size models (scripts/bench-models/build.py) into .cache/bench-models/, which git
# ignores; bench/*-large.bench.ts read them. Cheap when nothing changed: the build is skipped while
# build.py and the exporter requirements hash to what .cache/bench-models/.stamp holds.
# Needs python3 and the PyPI registry the first time (torch + transformers + optimum-onnx in .venv-export,
# the venv scripts/fixtures/export.sh also uses; about 1 GB); a few minutes on two cores.
#   bash scripts/bench-models/build.sh   (--force: rebuild even when the stamp matches)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
venv=.venv-export
requirements=scripts/fixtures/requirements.txt
out=.cache/bench-models
stamp="$out/.stamp"

want="$(cat scripts/bench-models/build.py "$requirements" | sha256sum | cut -d' ' -f1)"
if [ "${1:-}" != "--force" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

# .venv-export as scripts/fixtures/export.sh makes it (same requirements, same stamp file).
requirements_sha="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$requirements_sha" ]; then
  echo "bench models: python venv $venv from $requirements" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$requirements_sha" > "$venv/.requirements.sha256"
fi

echo "bench models: building into $out (random weights; a few minutes)" >&2
rm -f "$stamp"
PYTHONHASHSEED=0 CUDA_VISIBLE_DEVICES="" "$venv/bin/python" scripts/bench-models/build.py
echo "$want" > "$stamp"
