// Where scripts/bench-models/build.sh writes the benchmark-size models, and the check the large benches start
// with: without the models (or with models older than build.py) they say how to build them and exit 0.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The folder that holds every benchmark-size model (gitignored); BENCH_MODELS_DIR overrides it. */
export const benchModelsDir: string = process.env.BENCH_MODELS_DIR ?? join(root, '.cache', 'bench-models');

export type BenchModelName = 'bench-minilm' | 'bench-llama';

/** Absolute path of one model folder, e.g. `benchModelPath('bench-llama')`. */
export function benchModelPath(name: BenchModelName, ...segments: string[]): string {
  return join(benchModelsDir, name, ...segments);
}

/** The stamp build.sh writes: sha256 of build.py and the exporter requirements. */
function wantedStamp(): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(root, 'scripts', 'bench-models', 'build.py')));
  hash.update(readFileSync(join(root, 'scripts', 'fixtures', 'requirements.txt')));
  return hash.digest('hex');
}

/**
 * Exit 0 with a message naming the build command when `names` are not built, or were built by another
 * build.py; a benchmark calls this before loading anything.
 */
export function requireBenchModels(bench: string, ...names: BenchModelName[]): void {
  const missing = names.filter((name) => !existsSync(benchModelPath(name, 'onnx', 'model.onnx')));
  const stampFile = join(benchModelsDir, '.stamp');
  const stale =
    missing.length === 0 && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() !== wantedStamp();
  if (missing.length === 0 && !stale) return;
  const why = stale
    ? `the models in ${benchModelsDir} were built by an older scripts/bench-models/build.py`
    : `${missing.join(', ')} not built in ${benchModelsDir}`;
  console.log(
    `${bench}: skipped — ${why}. Build them with \`bash scripts/bench-models/build.sh\` (torch + transformers + optimum in .venv-export, a few minutes), or run \`./dev bench\`, which builds them first.`,
  );
  process.exit(0);
}
