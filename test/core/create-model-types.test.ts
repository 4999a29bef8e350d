// What an editor shows and what tsc rejects, checked with the TypeScript language service on small
// programs that import the packages the way users do (tsconfig paths point them at the sources).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../fixtures/paths.ts';

/** The README's first ```ts block: the snippet every user copies first. */
function readmeSnippet(): string {
  const match = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  if (!match?.[1]) throw new Error('README.md has no ```ts block');
  return match[1];
}

const sources: Record<string, string> = {
  'readme.ts': readmeSnippet(),
  'hover.ts': `import { createModel, createOpenAICompatible } from '@mlkit/core';
const vllm = createOpenAICompatible({ name: 'vllm', baseURL: 'http://127.0.0.1:8000/v1' });
export const embedder = vllm.embedding('nomic-embed-text');
export const chat = await createModel('openai:gpt-4o-mini', { task: 'text-generation' });
`,
  'load.ts': `import { loadModel } from '@mlkit/onnx';
export const local = await loadModel('./models/x', { task: 'embedding' });
`,
  'misspelt.ts': `import { createModel } from '@mlkit/core';
await createModel(process.env.MLKIT_MODEL ?? 'openai:gpt-4o-mini', { baseUrl: 'http://127.0.0.1:8000/v1' });
`,
  'onnx.ts': `import { createModel } from '@mlkit/core';
import '@mlkit/onnx';
await createModel('onnx:./models/x', { device: 'cpu', task: 'embedding' });
await createModel('openai:gpt-4o-mini', { device: 'cpu' });
`,
  'define-model.ts': `import { classification, defineModel, embedding, textGeneration } from '@mlkit/core';
const capabilities = { streaming: true, batching: false, local: true };
export const chat = defineModel({
  id: 'x:chat',
  task: textGeneration,
  capabilities,
  run: async () => ({ text: '', finishReason: 'stop', usage: {} }),
  async *stream() {
    yield { type: 'text-delta', text: 'a' };
    yield { type: 'finish', finishReason: 'length', usage: {} };
  },
});
export const classifier = defineModel({
  id: 'x:classifier',
  task: classification,
  capabilities,
  run: async () => ({ predictions: [{ label: 'spam', score: 1, scores: { spam: 1 } }], usage: {} }),
});
export const embedder = defineModel({
  id: 'x:embedder',
  task: embedding,
  capabilities,
  run: async () => ({ embeddings: [new Float32Array(2)], dimensions: 2, usage: {} }),
});
`,
};

const service = (() => {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  // Virtual files inside test/core so that module resolution is the repository's.
  const files = new Map(
    Object.entries(sources).map(([name, text]) => [join(repoRoot, 'test', 'core', name), text]),
  );
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => config.options,
    getScriptFileNames: () => [...files.keys()],
    getScriptVersion: () => '1',
    getScriptSnapshot: (path) => {
      const text = files.get(path) ?? ts.sys.readFile(path);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => repoRoot,
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: (path) => files.has(path) || ts.sys.fileExists(path),
    readFile: (path) => files.get(path) ?? ts.sys.readFile(path),
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  return {
    ls: ts.createLanguageService(host),
    pathOf: (name: string) => join(repoRoot, 'test', 'core', name),
  };
})();

function errorsOf(name: string): string[] {
  return service.ls
    .getSemanticDiagnostics(service.pathOf(name))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function hoverOf(name: string, identifier: string): string {
  const path = service.pathOf(name);
  const text = sources[name]!;
  const info = service.ls.getQuickInfoAtPosition(path, text.indexOf(identifier));
  return ts.displayPartsToString(info?.displayParts);
}

describe('createModel types', () => {
  // Building the program and its checker is the slow part (seconds): once, under the hook timeout.
  beforeAll(() => {
    service.ls.getProgram()?.getTypeChecker();
  });

  it("typechecks the README's top snippet under --strict", () => {
    expect(errorsOf('readme.ts')).toEqual([]);
  });

  it('shows Model<EmbeddingTask> on hover for a provider factory, not the zod generics', () => {
    expect(hoverOf('hover.ts', 'embedder')).toBe('const embedder: Model<EmbeddingTask>');
  });

  it('shows Model<TextGenerationTask> on hover for createModel with task text-generation', () => {
    expect(hoverOf('hover.ts', 'chat')).toBe('const chat: Model<TextGenerationTask>');
  });

  it('shows OnnxModel<EmbeddingTask> on hover for loadModel with task embedding', () => {
    expect(hoverOf('load.ts', 'local')).toBe('const local: OnnxModel<EmbeddingTask>');
  });

  it('types plain literals in a defineModel implementation of a built-in task (finishReason, chunk type; no as const)', () => {
    expect(errorsOf('define-model.ts')).toEqual([]);
  });

  it('shows the task of a defineModel implementation on hover: Model<TextGenerationTask>, Model<ClassificationTask>', () => {
    expect(hoverOf('define-model.ts', 'chat')).toBe('const chat: Model<TextGenerationTask>');
    expect(hoverOf('define-model.ts', 'classifier')).toBe('const classifier: Model<ClassificationTask>');
  });

  it('rejects a misspelt option (baseUrl) even when the spec is a plain string', () => {
    expect(errorsOf('misspelt.ts')).toEqual([expect.stringContaining("'baseUrl' does not exist")]);
  });

  it("accepts @mlkit/onnx's load options on onnx: and rejects them on openai:", () => {
    expect(errorsOf('onnx.ts')).toEqual([expect.stringContaining("'device' does not exist")]);
  });
});
