import { beforeAll, describe, expect, it } from 'vitest';
import { mlkit, requireBuild } from './mlkit.ts';

beforeAll(requireBuild);

describe('mlkit --help', () => {
  it('lists the four commands', async () => {
    const { code, stdout } = await mlkit(['--help']);
    expect(code).toBe(0);
    for (const command of ['run', 'serve', 'compare', 'info'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it.each(['run', 'serve', 'compare', 'info'])(
    'mlkit %s --help prints its usage and exits 0',
    async (command) => {
      const { code, stdout } = await mlkit([command, '--help']);
      expect(code).toBe(0);
      expect(stdout.startsWith(`Usage: mlkit ${command} `)).toBe(true);
    },
  );

  it('an unknown command exits 2 and names the commands', async () => {
    const { code, stderr } = await mlkit(['predict']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "predict"; the commands are run, serve, compare, info');
  });

  it('an unknown option exits 2 and points at the command help', async () => {
    const { code, stderr } = await mlkit(['info', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toContain('See "mlkit info --help"');
  });
});
