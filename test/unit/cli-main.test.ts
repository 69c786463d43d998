import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.js';
import { parseDuration } from '../../src/cli/program.js';
import { removeDir } from '../harness/files.js';

/** A stream that keeps what is written to it. */
class Sink extends Writable {
  public text = '';
  public override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map(removeDir));
});

/** Run the CLI in this process, with in-memory streams, an empty environment and a fresh directory. */
async function cli(
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string; cwd: string }> {
  const dir = cwd ?? (await mkdtemp(join(tmpdir(), 'adsync-cli-')));
  if (cwd === undefined) dirs.push(dir);
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(['node', 'adsync', ...args], { stdout, stderr, env: {}, cwd: dir });
  return { code, stdout: stdout.text, stderr: stderr.text, cwd: dir };
}

describe('main(argv, io): argv to command options, in-process', () => {
  it('--version prints the package version on stdout; --help the usage', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: adsync');
    for (const command of [
      'push',
      'check',
      'explain',
      'history',
      'diff',
      'mock-server',
      'schedule',
      'demo',
      'init',
    ])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('an unknown option or command is a usage error (2)', async () => {
    const option = await cli(['push', '--nope']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--nope'");
    const command = await cli(['pusj']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("unknown command 'pusj'");
  });

  it('parses --timeout as 30m, 90s or 2h, and refuses anything else (a bare number too) with exit 2', async () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('15')).toThrow('give a unit: 15m (minutes), 15s (seconds) or 15h');
    expect(parseDuration('1500ms')).toBe(1500);
    const ok = await cli(['--timeout', '90s', 'init']);
    expect(ok.code).toBe(0);
    for (const [value, message] of [
      ['soon', 'expected a duration such as 30m, 90s or 2h'],
      ['30d', 'expected a duration such as 30m, 90s or 2h'],
      ['0m', 'the time limit must be more than zero'],
      ['600h', 'the time limit must be under 24 days'],
    ] as const) {
      const bad = await cli(['--timeout', value, 'init']);
      expect(bad.code, value).toBe(2);
      expect(bad.stderr).toContain(`argument '${value}' is invalid. ${message}`);
    }
  });

  it('--allow-archive takes a whole number; anything else is exit 2 before the config is read', async () => {
    for (const value of ['abc', '1.5', '-1', '']) {
      const bad = await cli(['push', `--allow-archive=${value}`]);
      expect(bad.code, value).toBe(2);
      expect(bad.stderr).toContain('expected a whole number');
    }
    // Accepted: the run goes on to look for its config (and finds none here).
    const ok = await cli(['push', '--allow-archive', '3']);
    expect(ok.code).toBe(2);
    expect(ok.stderr).not.toContain('whole number');
    expect(ok.stderr).toMatch(/config/i);
  });

  it('--quiet and --verbose exclude each other', async () => {
    const both = await cli(['--quiet', '--verbose', 'init']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/'-v, --verbose' cannot be used with option '-q, --quiet'/);
  });

  it('init --file writes the starter config there and prints its path', async () => {
    const run = await cli(['init', '--kind', 'ldap', '--file', 'conf/../adsync-ldap.yaml']);
    expect(run.code).toBe(0);
    const path = join(run.cwd, 'adsync-ldap.yaml');
    expect(run.stdout).toBe(`${path}\n`);
    expect(await readFile(path, 'utf8')).toContain('kind: ldap');
    // Mode bits are POSIX's; on Windows the file's ACL protects it (issue 26).
    if (process.platform !== 'win32') expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('--report FILE and --json give init the same envelope as every command', async () => {
    const run = await cli(['--json', '--report', 'report.json', 'init']);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, unknown>;
    const written = JSON.parse(await readFile(join(run.cwd, 'report.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(written).toEqual(printed);
    expect(written).toMatchObject({
      runId: expect.stringMatching(/^[0-9a-f]{12}$/) as unknown,
      command: 'init',
      status: 'ok',
      exitCode: 0,
      path: join(run.cwd, 'adsync.yaml'),
    });
    // A failure has the same envelope, with the error.
    const again = await cli(['--report', 'report.json', 'init'], run.cwd);
    expect(again.code).toBe(2);
    expect(JSON.parse(await readFile(join(run.cwd, 'report.json'), 'utf8'))).toMatchObject({
      command: 'init',
      status: 'error',
      exitCode: 2,
      error: { code: 'CONFIG_EXISTS' },
    });
  });

  it('history --json reports in the envelope too (not a bare list)', async () => {
    const run = await cli(['history', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      command: 'history',
      status: 'error',
      exitCode: 2,
      error: { code: 'CONFIG_NOT_FOUND' },
    });
  });
});
