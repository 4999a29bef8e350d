// @mlkit/onnx (built, with onnxruntime-node's native addon) on the generated fixture models:
// the iris classifier on two rows of the iris data set and tiny-bert's embeddings.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { TestRunner } from '@mlkit/core/testing';
import { loadModel } from '@mlkit/onnx';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/models/${name}`, import.meta.url));
const norm = (vector: ArrayLike<number>) => Math.hypot(...Array.from(vector));
const closeTo = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - Number(b[i])) < 1e-4);

/** Registers the onnx checks on `runner`. */
export function registerOnnxChecks(runner: TestRunner, runtime: string): void {
  runner.describe(`${runtime}: @mlkit/onnx with onnxruntime-node`, () => {
    runner.it('loads iris-classifier and labels two rows of the iris data set', async () => {
      const model = await loadModel(fixture('iris-classifier'));
      try {
        assert.equal(model.task, 'classification', 'the task is read from the folder');
        if (model.task !== 'classification') return;
        // Rows 1 (setosa) and 146 (virginica) of Fisher's iris data.
        const { predictions } = await model.run({
          rows: [
            [5.1, 3.5, 1.4, 0.2],
            [6.7, 3.0, 5.2, 2.3],
          ],
        });
        assert.deepEqual(
          predictions.map((p) => p.label),
          ['setosa', 'virginica'],
        );
        for (const p of predictions) {
          assert.deepEqual(Object.keys(p.scores).sort(), ['setosa', 'versicolor', 'virginica']);
          const total = Object.values(p.scores).reduce((sum, score) => sum + score, 0);
          assert.ok(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`);
          assert.equal(p.score, Math.max(...Object.values(p.scores)));
        }
      } finally {
        await model.dispose();
      }
    });

    runner.it(
      'embeds texts with tiny-bert: unit vectors of 32, a text alone equal to it in a padded batch',
      async () => {
        const model = await loadModel(fixture('tiny-bert'));
        try {
          assert.equal(model.task, 'embedding', 'the task is read from the folder');
          if (model.task !== 'embedding') return;
          const run = (texts: string[]) => model.run({ texts });
          const batch = await run(['hello world', 'The cat sat on the mat.']);
          const alone = await run(['hello world']);
          assert.equal(batch.dimensions, 32);
          assert.equal(batch.embeddings.length, 2);
          for (const vector of batch.embeddings) {
            assert.ok(vector instanceof Float32Array);
            assert.equal(vector.length, 32);
            assert.ok(Math.abs(norm(vector) - 1) < 1e-5, `norm ${norm(vector)}`);
          }
          assert.ok(closeTo(alone.embeddings[0]!, batch.embeddings[0]!), 'padding changed the short text');
          assert.ok(!closeTo(batch.embeddings[0]!, batch.embeddings[1]!), 'two texts gave one vector');
        } finally {
          await model.dispose();
        }
      },
    );
  });
}
