import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Model, TensorSignature } from '@mlkit/core';
import { modelOptions, optionsOf, parse, taskOf, UsageError } from '../args.ts';
import { openConfig, openSpec, readJsonFile } from '../models.ts';
import { toJson } from '../output.ts';

/** `mlkit info --help`. */
export const infoHelp = `Usage: mlkit info <model> [options]

Load a model and say what it is: its task, the tensors it reads and writes (an ONNX graph's
signature), where it runs, its files (a local model folder) and its capabilities.

Options:
  -t, --task <task>         the task to load it for (default: what the model says)
  -o, --option key=value    a createModel() option (repeatable), e.g. -o device=cpu
  -c, --config <file>       a JSON model configuration instead of <model>
      --json                print it as JSON
  -h, --help                this help

Example:
  mlkit info onnx:./models/all-MiniLM-L6-v2`;

/** A file of a local model and its size. */
interface FileEntry {
  path: string;
  bytes: number;
}

/** What `mlkit info` reports. */
interface Info {
  id: string;
  task: string;
  local: boolean;
  device?: string;
  inputs?: readonly TensorSignature[];
  outputs?: readonly TensorSignature[];
  files?: FileEntry[];
  capabilities: Record<string, unknown>;
}

/** `mlkit info`: task, signature, device, files, capabilities. */
export async function info(argv: string[]): Promise<void> {
  const { values, positionals } = parse('info', argv, { ...modelOptions, json: { type: 'boolean' } });
  if (values.help) {
    console.log(infoHelp);
    return;
  }
  const task = taskOf(values.task, 'info');
  const options = optionsOf(values.option, 'info');
  if (positionals.length > 1) throw new UsageError(`expected one model (got ${positionals.length})`, 'info');
  const spec = positionals[0];
  if (spec === undefined && values.config === undefined) {
    throw new UsageError('name a model, e.g. mlkit info onnx:./models/iris', 'info');
  }
  const model: Model =
    spec !== undefined
      ? await openSpec(spec, { task, options })
      : await openConfig(await readJsonFile(values.config!, 'config'), { task });
  try {
    const { signature, ...capabilities } = model.capabilities;
    const report: Info = {
      id: model.id,
      task: model.task,
      local: model.capabilities.local,
      ...(model.capabilities.device !== undefined ? { device: model.capabilities.device } : {}),
      ...(signature ? { inputs: signature.inputs, outputs: signature.outputs } : {}),
      capabilities,
    };
    const files = spec?.startsWith('onnx:') ? await filesOf(spec.slice('onnx:'.length)) : undefined;
    if (files) report.files = files;
    console.log(values.json ? toJson(report, 2) : describe(report));
  } finally {
    await model.dispose();
  }
}

/** The files under a local model folder (or the one file), with sizes; undefined for a URL. */
async function filesOf(location: string): Promise<FileEntry[] | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return undefined;
  const root = resolve(location);
  const found = await stat(root).catch(() => undefined);
  if (!found) return undefined;
  if (found.isFile()) return [{ path: location, bytes: found.size }];
  const entries: FileEntry[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) entries.push({ path: relative(root, path), bytes: (await stat(path)).size });
    }
  };
  await walk(root);
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}

function tensorLine(tensor: TensorSignature): string {
  const shape = tensor.shape
    ? `[${tensor.shape.map((dim) => (dim === null ? '?' : String(dim))).join(', ')}]`
    : '';
  return `  ${tensor.name}: ${tensor.dtype ?? '?'}${shape}`;
}

function bytesOf(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

function describe(report: Info): string {
  const lines = [
    `model   ${report.id}`,
    `task    ${report.task}`,
    `runs    ${report.local ? `in this process${report.device ? ` on ${report.device}` : ''}` : 'behind an API'}`,
  ];
  if (report.inputs) lines.push('inputs', ...report.inputs.map(tensorLine));
  if (report.outputs) lines.push('outputs', ...report.outputs.map(tensorLine));
  if (report.files)
    lines.push('files', ...report.files.map((file) => `  ${file.path} (${bytesOf(file.bytes)})`));
  lines.push('capabilities');
  for (const [name, value] of Object.entries(report.capabilities)) {
    if (name === 'local' || name === 'device' || value === undefined) continue;
    lines.push(`  ${name}: ${typeof value === 'object' ? toJson(value) : String(value)}`);
  }
  return lines.join('\n');
}
