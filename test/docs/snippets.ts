// Typechecks the ```ts blocks of markdown files with the TypeScript compiler API, against the
// sources (tsconfig.json's `paths` map @mlkit/* to src/ as vitest.config.ts does), under --strict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../fixtures/paths.ts';

/** One fenced ```ts block of a markdown file. */
export interface Snippet {
  /** The markdown file, relative to the repository root. */
  file: string;
  /** 1-based position among the file's ts blocks. */
  index: number;
  /** 1-based line of the block's first code line in the markdown file. */
  line: number;
  code: string;
  /** Fenced as ```ts continued: typechecked in one file after the block before it, as a reader would paste them. */
  continued: boolean;
}

const fence = /^(`{3,})\s*(\S*)(.*)$/;

/** The ```ts (and ```typescript) blocks of a markdown text, in order. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i] ?? '');
    if (!open) continue;
    const [, ticks = '```', language = '', rest = ''] = open;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !(lines[end] ?? '').startsWith(ticks)) end++;
    if (language === 'ts' || language === 'typescript') {
      snippets.push({
        file,
        index: snippets.length + 1,
        line: start + 1,
        code: lines.slice(start, end).join('\n'),
        continued: rest.split(/\s+/).includes('continued'),
      });
    }
    i = end;
  }
  return snippets;
}

/** The ts blocks of markdown files given relative to the repository root. */
export function readSnippets(files: string[]): Snippet[] {
  return files.flatMap((file) => extractSnippets(readFileSync(join(repoRoot, file), 'utf8'), file));
}

/** One compile error, located in the markdown file. */
export interface SnippetError {
  snippet: Snippet;
  /** 1-based line in the markdown file. */
  line: number;
  message: string;
}

/** Where the errors are reported: `README.md block 3 (line 62): line 64: TS2322 ...`. */
export function formatSnippetError({ snippet, line, message }: SnippetError): string {
  return `${snippet.file} block ${snippet.index} (line ${snippet.line}): line ${line}: ${message}`;
}

interface Unit {
  path: string;
  text: string;
  /** The snippets of this file, with the 0-based line where each starts in `text`. */
  parts: { snippet: Snippet; firstLine: number }[];
}

// Continued blocks join the file of the block before them; every file is a module (top-level await).
function toUnits(snippets: Snippet[]): Unit[] {
  const units: Unit[] = [];
  for (const snippet of snippets) {
    const previous = units.at(-1);
    if (snippet.continued && previous && previous.parts[0]?.snippet.file === snippet.file) {
      previous.parts.push({ snippet, firstLine: previous.text.split('\n').length });
      previous.text += `\n${snippet.code}`;
      continue;
    }
    if (snippet.continued) {
      throw new Error(
        `${snippet.file} block ${snippet.index} is fenced "continued" but no block comes before it`,
      );
    }
    const name = `${snippet.file.replaceAll(/[^\w.-]/g, '_')}.block${snippet.index}.ts`;
    units.push({
      path: join(repoRoot, 'test', 'docs', '.snippets', name),
      text: snippet.code,
      parts: [{ snippet, firstLine: 0 }],
    });
  }
  for (const unit of units) unit.text += '\nexport {};\n';
  return units;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(repoRoot, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, repoRoot, undefined, configPath);
  return { ...options, strict: true, noEmit: true };
}

/** Typecheck the snippets; every error is located in its markdown file. No errors: an empty list. */
export function typecheckSnippets(snippets: Snippet[]): SnippetError[] {
  const units = toUnits(snippets);
  const byPath = new Map(units.map((unit) => [unit.path, unit]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (path, language, ...rest) => {
    const unit = byPath.get(path);
    return unit
      ? ts.createSourceFile(path, unit.text, language)
      : getSourceFile.call(host, path, language, ...rest);
  };
  host.fileExists = (path) => byPath.has(path) || fileExists.call(host, path);
  host.readFile = (path) => byPath.get(path)?.text ?? readFile.call(host, path);
  const program = ts.createProgram([...byPath.keys()], options, host);

  const errors: SnippetError[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = `TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    const unit = diagnostic.file && byPath.get(diagnostic.file.fileName);
    if (!diagnostic.file) {
      throw new Error(`The snippet compiler options are wrong: ${message}`);
    }
    // Errors inside src/ are the typecheck's to report, not the README's.
    if (!unit || diagnostic.start === undefined) continue;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const part = unit.parts.findLast((p) => p.firstLine <= line) ?? unit.parts[0];
    if (!part) continue;
    const lineInBlock = Math.min(line - part.firstLine, part.snippet.code.split('\n').length - 1);
    errors.push({ snippet: part.snippet, line: part.snippet.line + lineInBlock, message });
  }
  return errors;
}
