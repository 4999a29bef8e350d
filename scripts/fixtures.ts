// Writes the tiny test models to test/fixtures/models/ (see test/fixtures/generate/). Skips the work when the
// folders are up to date; `--force` regenerates anyway.
import { generateFixtures } from '../test/fixtures/generate/index.ts';
import { fixturesDir } from '../test/fixtures/paths.ts';

const report = generateFixtures(fixturesDir, { force: process.argv.includes('--force') });
if (report.skipped) {
  console.log(`fixtures: up to date in ${fixturesDir}`);
} else {
  const steps = report.steps.map((step) => `${step.name} ${Math.round(step.milliseconds)} ms`).join(', ');
  console.log(`fixtures: wrote ${fixturesDir} in ${Math.round(report.milliseconds)} ms (${steps})`);
}
