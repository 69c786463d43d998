import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.js';
import { removeDir } from '../harness/files.js';

/** A stream that keeps what is written to it, as a terminal or not. */
function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _encoding, done): void => {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** A push that fails at once (no config here): an `error:` line and a `hint:` line on stderr. */
async function failingPush(
  tty: boolean,
  env: NodeJS.ProcessEnv,
  extra: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'adsync-colour-'));
  dirs.push(cwd);
  const stdout = sink(tty);
  const stderr = sink(tty);
  // No spinner: `--quiet` would hide the hint, CI keeps ora away from the in-memory terminal.
  const code = await main(['node', 'adsync', 'push', '--dry-run', ...extra], {
    stdout,
    stderr,
    env: { CI: '1', ...env },
    cwd,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const RED_ERROR = '\u001b[31merror:\u001b[39m';
const CYAN_HINT = '\u001b[36mhint:\u001b[39m';

describe('colours on the terminal (chalk, loaded only for a colour terminal)', () => {
  it('a TTY gets the 16 basic colours, whatever FORCE_COLOR says', async () => {
    for (const env of [{}, { NO_COLOR: '' }, { FORCE_COLOR: '0' }, { FORCE_COLOR: '3' }]) {
      const run = await failingPush(true, env);
      expect([env, run.code]).toEqual([env, 2]);
      expect(run.stderr).toContain(RED_ERROR);
      expect(run.stderr).toContain(CYAN_HINT);
      // Only the 16 colours, never 256 or true colour.
      for (const extended of ['\u001b[38;', '\u001b[48;']) expect(run.stderr).not.toContain(extended);
    }
  });

  it('NO_COLOR, or stderr that is not a TTY (FORCE_COLOR or not), gets none', async () => {
    for (const [tty, env] of [
      [true, { NO_COLOR: '1' }],
      [false, {}],
      [false, { FORCE_COLOR: '1' }],
    ] as const) {
      const run = await failingPush(tty, env);
      expect([tty, env, run.code]).toEqual([tty, env, 2]);
      expect(run.stderr).toContain('error:');
      expect(run.stderr).toContain('hint:');
      expect(run.stderr).not.toContain('\u001b[');
    }
  });

  it('--json on a TTY: the report on stdout is plain JSON', async () => {
    const run = await failingPush(true, {}, ['--json']);
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain('\u001b[');
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'error', exitCode: 2 });
  });
});
