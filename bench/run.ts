// `npm run bench`: runs every bench/*.bench.ts in its own process, one after another (so they do not
// compete for the CPU), passes their output through, and ends with a table of the JSON result lines.
// Each benchmark measures mlkit and a named peer in the same run; ratio = our throughput / the peer's.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Result {
  bench: string;
  ours: number;
  peer: number;
  unit: string;
  ratio: number;
  goal: number;
}

const only = process.argv.slice(2);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const results: Result[] = [];
let failures = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, file)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout.on('data', (data: Buffer) => {
      process.stdout.write(data);
      buffered += data.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{"bench"')) continue;
        try {
          results.push(JSON.parse(line));
        } catch {}
      }
    });
    child.on('close', (status) => done(status ?? 1));
  });
  if (code !== 0) {
    failures++;
    console.log(`!!! ${file} exited with ${code}`);
  }
}

console.log('\nbenchmark                              ours          peer          unit        ratio  goal');
for (const r of results) {
  const mark = r.ratio >= r.goal ? 'met' : 'MISSED';
  console.log(
    `${r.bench.padEnd(38)} ${r.ours.toFixed(1).padStart(12)}  ${r.peer.toFixed(1).padStart(12)}  ${r.unit.padEnd(10)} ${r.ratio.toFixed(2).padStart(6)}  ${r.goal} ${mark}`,
  );
}
process.exit(failures === 0 ? 0 : 1);
