#!/usr/bin/env node
/**
 * The `mlkit` command: run, serve, compare and inspect models from the shell.
 *
 * @module @mlkit/cli
 */
import { isMlkitError } from '@mlkit/core';
import { UsageError } from './args.ts';
import { compare, compareHelp } from './commands/compare.ts';
import { info, infoHelp } from './commands/info.ts';
import { run, runHelp } from './commands/run.ts';
import { serve, serveHelp } from './commands/serve.ts';

const commands = {
  run: { main: run, help: runHelp, summary: 'run a model once on an input (JSON or text; text streams)' },
  serve: {
    main: serve,
    help: serveHelp,
    summary: 'serve models over HTTP (OpenAI-compatible, OIP v2, /predict)',
  },
  compare: {
    main: compare,
    help: compareHelp,
    summary: 'compare models on your data: latency, cost, agreement, break-even',
  },
  info: { main: info, help: infoHelp, summary: "a model's task, inputs and outputs, device, files" },
} as const;

type CommandName = keyof typeof commands;

const help = `Usage: mlkit <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(9)} ${command.summary}`)
  .join('\n')}

A model is a model string: onnx:./models/iris, openai:gpt-4o-mini, openai-compatible:llama3
(MLKIT_BASE_URL, MLKIT_API_KEY), oip:http://host:8000/iris, tfserving:..., predict:...
"mlkit <command> --help" tells more.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && Object.hasOwn(commands, rest[0]))
      console.log(commands[rest[0] as CommandName].help);
    else console.log(help);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = (await import('../package.json', { with: { type: 'json' } })).default as {
      version: string;
    };
    console.log(version);
    return 0;
  }
  if (!Object.hasOwn(commands, name)) {
    console.error(
      `mlkit: unknown command "${name}"; the commands are ${Object.keys(commands).join(', ')}\n\n${help}`,
    );
    return 2;
  }
  const command = name as CommandName;
  try {
    await commands[command].main(rest);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`mlkit ${command}: ${error.message}\nSee "mlkit ${command} --help".`);
      return 2;
    }
    if (isMlkitError(error)) {
      console.error(`mlkit ${command}: ${error.name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

const code = await main(process.argv.slice(2));
// serve keeps running (its listener holds the event loop); the others end here.
if (code !== 0) process.exitCode = code;
