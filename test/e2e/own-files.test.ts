import { copyFile, link, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig, mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startTrustedMock } from '../harness/mock.js';

/**
 * `--output`, `--report` and `--log-file` never write over a file adsync reads or keeps (issue 23
 * §2): the state, the config, the directory export, an extraContacts file, a `${file:}` secret,
 * a CA file, the run history. Each is refused with exit 2 and left byte for byte as it was, also
 * when named through a symbolic link, a hard link or `..`. Real files, the mock vendor.
 */

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SECRET = 'own-files-secret-4Kd';

describe('output options never overwrite adsync’s own files (real files, mock vendor)', () => {
  let mock: MockServer;
  let caFile: string;
  let cwd: string;
  /** Every file adsync reads or keeps in the project, by a short name. */
  let own: Record<string, string>;

  const adsync = (args: string[]): Promise<CliRun> =>
    runAdsync([...args, '--config', 'adsync.yaml'], { cwd, env: {} });

  /**
   * Every own file's bytes; the run history only up to its length now, since a refused push
   * still records its run there (appending is how adsync keeps it).
   */
  const snapshot = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(own).map(
          async ([name, path]) => [name, (await readFile(path)).toString('base64')] as const,
        ),
      ),
    );
  const expectUntouched = async (before: Record<string, string>): Promise<void> => {
    const after = await snapshot();
    const history = Buffer.from(before.history ?? '', 'base64');
    expect(Buffer.from(after.history ?? '', 'base64').subarray(0, history.length)).toEqual(history);
    expect({ ...after, history: '' }).toEqual({ ...before, history: '' });
  };

  beforeAll(async () => {
    ({ mock, caFile } = await startTrustedMock(SECRET));
    cwd = await tempDir();
    await copyFile(EXAMPLE_LDIF, join(cwd, 'company.ldif'));
    await copyFile(caFile, join(cwd, 'vendor-ca.pem'));
    await writeFile(join(cwd, 'client-secret.txt'), `${SECRET}\n`, { mode: 0o600 });
    await writeFile(
      join(cwd, 'front-desk.csv'),
      'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack\nFront,Desk,desk@example.com,,,,,,hq,,\n',
    );
    const base = exampleConfig();
    await writeConfig(cwd, {
      ...base,
      directory: { kind: 'ldif', file: './company.ldif', baseDN: base.directory.baseDN },
      target: { ...mockTarget(mock.url, './vendor-ca.pem'), clientSecret: '${file:./client-secret.txt}' },
      extraContacts: ['./front-desk.csv'],
      state: { dir: './state' },
      output: { dir: './out' },
    });
    const first = await adsync(['push', '--first-push']);
    expect(first.code, first.stderr).toBe(0);
    const state = (await readdir(join(cwd, 'state'))).find((n) => /^state-.*\.json$/.test(n)) ?? '';
    own = {
      config: join(cwd, 'adsync.yaml'),
      state: join(cwd, 'state', state),
      history: join(cwd, 'state', 'runs.jsonl'),
      ldif: join(cwd, 'company.ldif'),
      extra: join(cwd, 'front-desk.csv'),
      secret: join(cwd, 'client-secret.txt'),
      ca: join(cwd, 'vendor-ca.pem'),
    };
  });
  afterAll(async () => {
    await mock.stop();
  });

  it.each([
    ['--output', 'push'],
    ['--report', 'push'],
    ['--log-file', 'push'],
    ['--report', 'history'],
    ['--log-file', 'check'],
  ])('%s of %s naming any of them is exit 2, every file untouched', async (flag, command) => {
    const before = await snapshot();
    for (const [name, path] of Object.entries(own)) {
      const args = command === 'push' ? ['push', '--dry-run'] : [command];
      const run = await adsync([...args, flag, path]);
      expect(run.code, `${flag} ${name}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`${flag}:`);
    }
    await expectUntouched(before);
  });

  it('sees through `..`, a symbolic link and a hard link, and refuses a new file inside the state directory', async () => {
    const before = await snapshot();
    await mkdir(join(cwd, 'elsewhere'), { recursive: true });
    await symlink(own.config ?? '', join(cwd, 'elsewhere', 'config-link.yaml'));
    await link(own.state ?? '', join(cwd, 'elsewhere', 'state-hard.json'));
    const cases: [string, string, RegExp][] = [
      ['--output', 'elsewhere/../state/../adsync.yaml', /the config file/],
      ['--output', 'elsewhere/state-hard.json', /inside adsync's state directory|state/],
      ['--report', 'elsewhere/state-hard.json', /state/],
      ['--log-file', 'elsewhere/config-link.yaml', /the config file/],
      ['--output', 'state/new-export.csv', /inside adsync's state directory/],
      ['--report', 'state/report.json', /inside adsync's state directory/],
    ];
    for (const [flag, path, what] of cases) {
      const run = await adsync(['push', '--dry-run', flag, path]);
      expect(run.code, `${flag} ${path}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(what);
    }
    await expectUntouched(before);
    expect(await readdir(join(cwd, 'state'))).not.toContain('new-export.csv');
    expect(await readdir(join(cwd, 'state'))).not.toContain('report.json');
  });

  it('still writes a report, a log and a CSV where they belong', async () => {
    const run = await adsync([
      'push',
      '--dry-run',
      '--output',
      'mine.csv',
      '--report',
      'r.json',
      '--log-file',
      'l.log',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(cwd, 'r.json'), 'utf8'))).toMatchObject({ exitCode: 0 });
    expect(await readFile(join(cwd, 'l.log'), 'utf8')).toMatch(/^\{/);
    expect(await readFile(join(cwd, 'mine.csv'), 'utf8')).toContain('Email');
    // A second run appends to its own log.
    expect((await adsync(['history', '--log-file', 'l.log'])).code).toBe(0);
  });

  it('a command without a config appends its log only to a log', async () => {
    const run = await runAdsync(['init', '--log-file', join(cwd, 'company.ldif')], {
      cwd: await tempDir(),
      env: {},
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not a JSON-lines log');
  });
});
