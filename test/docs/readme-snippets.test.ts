import { describe, expect, it } from 'vitest';
import { extractSnippets, formatSnippetError, readSnippets, typecheckSnippets } from './snippets.ts';

const readmes = [
  'README.md',
  'packages/onnx/README.md',
  'packages/server/README.md',
  'packages/cli/README.md',
  'packages/ai-sdk/README.md',
];

describe('README snippets', () => {
  it('every README has ts blocks to check', () => {
    const snippets = readSnippets(readmes);
    for (const file of readmes) {
      expect(snippets.filter((s) => s.file === file).length, file).toBeGreaterThan(0);
    }
  });

  it('every ts block of the READMEs typechecks under --strict against the sources', () => {
    const errors = typecheckSnippets(readSnippets(readmes));
    expect(errors.map(formatSnippetError)).toEqual([]);
  }, 120_000);
});

describe('the snippet check', () => {
  const broken = ['# Title', '', '```ts', '// counts', '', "const count: number = 'three';", '```'].join(
    '\n',
  );

  it('reports a broken block with its file, block number and line', () => {
    const errors = typecheckSnippets(extractSnippets(broken, 'BROKEN.md'));
    expect(errors.map(formatSnippetError)).toEqual([
      expect.stringMatching(
        /^BROKEN\.md block 1 \(line 4\): line 6: TS2322 Type 'string' is not assignable to type 'number'/,
      ),
    ]);
  }, 120_000);

  it('checks a continued block in one file with the block before it', () => {
    const markdown = [
      '```ts',
      'const greeting = "hi";',
      '```',
      'text',
      '```ts continued',
      'const length: number = greeting.length;',
      'const wrong: string = length;',
      '```',
      '```ts',
      'greeting;',
      '```',
    ].join('\n');
    const errors = typecheckSnippets(extractSnippets(markdown, 'CHAIN.md')).map(formatSnippetError);
    expect(errors).toEqual([
      expect.stringMatching(/^CHAIN\.md block 2 \(line 6\): line 7: TS2322 /),
      expect.stringMatching(/^CHAIN\.md block 3 \(line 10\): line 10: TS2304 Cannot find name 'greeting'/),
    ]);
  }, 120_000);

  it('ignores blocks of other languages', () => {
    const markdown = ['```sh', 'npm install @mlkit/core', '```', '```js', 'x', '```'].join('\n');
    expect(extractSnippets(markdown, 'X.md')).toEqual([]);
  });
});
