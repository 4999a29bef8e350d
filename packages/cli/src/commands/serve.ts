import type { Model } from '@mlkit/core';
import { createServer } from '@mlkit/server';
import { closeOnSignals, listen } from '@mlkit/server/node';
import { z } from 'zod';
import { modelOptions, optionsOf, parse, portOf, taskOf, UsageError } from '../args.ts';
import { namedSpec, openConfig, openSpec, readJsonFile, uniqueNames } from '../models.ts';

/** `mlkit serve --help`. */
export const serveHelp = `Usage: mlkit serve <model>... [options]

Serve models over HTTP with @mlkit/server: OpenAI-compatible (/v1/chat/completions, /v1/embeddings,
/v1/responses, ...), Open Inference Protocol v2 (/v2/models/<name>/infer) and /predict/<name>.
Each <model> is name=model or a model string, named after its last path segment
(onnx:./models/iris is "iris", openai:gpt-4o-mini is "gpt-4o-mini"). SIGTERM or Ctrl-C drains:
readiness turns 503, requests in flight finish, the models are disposed, then it exits.
An onnx: model (a model string, or a --config entry whose "model" is one) runs its onnxruntime
sessions in worker threads, so a long run never holds up other requests; -o worker=false (or
"options": {"worker": false} in the config) runs them on the main thread.

Options:
  -p, --port <port>         default: PORT, else 8080 (0 picks a free port)
      --host <host>         default: HOST, else 127.0.0.1 (0.0.0.0 in a container)
  -k, --api-key <key>       accepted bearer key (repeatable); MLKIT_SERVE_API_KEYS (comma-separated)
                            keeps keys out of the process list
  -t, --task <task>         the task to load every model for
  -o, --option key=value    a createModel() option for every <model> (repeatable)
  -c, --config <file>       JSON: {"models": {"<name>": <model configuration>}, "apiKeys": [...],
                            "limits": {...}, "batching": {...} | false, "cors": {...},
                            "drainDelayMs": 10000, "graceMs": 10000}
  -h, --help                this help

Examples:
  mlkit serve onnx:./models/iris chat=onnx:./models/smollm --port 8080
  HOST=0.0.0.0 MLKIT_SERVE_API_KEYS=sk-1 mlkit serve onnx:./models/iris`;

/** Schema of `mlkit serve --config`: models by served name, and the server's options. */
const ServeConfig = z.strictObject({
  /** Model configurations (createModelFromConfig) by the name clients use. */
  models: z.record(z.string(), z.unknown()).optional(),
  apiKeys: z.array(z.string().min(1)).optional(),
  limits: z.record(z.string(), z.unknown()).optional(),
  batching: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
  cors: z.record(z.string(), z.unknown()).optional(),
  name: z.string().optional(),
  drainDelayMs: z.number().nonnegative().optional(),
  graceMs: z.number().nonnegative().optional(),
});

/** `mlkit serve`: the models behind @mlkit/server on a port, drained on SIGTERM. */
export async function serve(argv: string[]): Promise<void> {
  const { values, positionals } = parse('serve', argv, {
    ...modelOptions,
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'api-key': { type: 'string', short: 'k', multiple: true },
  });
  if (values.help) {
    console.log(serveHelp);
    return;
  }
  const task = taskOf(values.task, 'serve');
  const options = optionsOf(values.option, 'serve');
  const port = portOf(values.port, 'serve');
  let config: z.output<typeof ServeConfig> = {};
  if (values.config !== undefined) {
    const parsed = ServeConfig.safeParse(await readJsonFile(values.config, 'config'));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${values.config}: ${issue.path.join('.') || '(top)'}: ${issue.message}`, 'serve');
    }
    config = parsed.data;
  }
  const specs = positionals.map(namedSpec);
  const configured = Object.keys(config.models ?? {});
  uniqueNames([...specs, ...configured.map((name) => ({ name, spec: `config.models.${name}` }))], 'serve');
  if (specs.length + configured.length === 0) {
    throw new UsageError('name at least one model, e.g. mlkit serve onnx:./models/iris', 'serve');
  }

  const models: Record<string, Model> = {};
  try {
    for (const { name, spec } of specs)
      models[name] = await openSpec(spec, { task, options, workerByDefault: true });
    for (const name of configured)
      models[name] = await openConfig(config.models![name], { task, workerByDefault: true });
  } catch (error) {
    await Promise.allSettled(Object.values(models).map((model) => model.dispose()));
    throw error;
  }
  const apiKeys = [
    ...(values['api-key'] ?? []),
    ...(process.env.MLKIT_SERVE_API_KEYS ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean),
    ...(config.apiKeys ?? []),
  ];
  const { graceMs, models: _, ...serverOptions } = config;
  const server = createServer({
    ...(serverOptions as object),
    models,
    ...(apiKeys.length ? { apiKeys } : {}),
  });
  const listening = await listen(server, {
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => console.error(`mlkit serve: ${signal}, draining`));
  }
  closeOnSignals(listening, {
    ...(graceMs !== undefined ? { graceMs } : {}),
    onStopAccepting: () => console.error('mlkit serve: stopped accepting; finishing requests in flight'),
  });
  process.once('exit', () => console.error('mlkit serve: closed'));
  const names = Object.entries(models).map(([name, model]) => `${name} (${model.task})`);
  console.log(
    `mlkit serve: ${names.join(', ')} on ${listening.url}${apiKeys.length ? ' (API key required)' : ''}`,
  );
}
