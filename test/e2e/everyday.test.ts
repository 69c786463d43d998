import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig, mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';

/**
 * An administrator's everyday commands, end to end, on every platform the suite runs on (Linux
 * here, Windows under Wine through vitest.windows.config.ts): an LDIF export and the bundled
 * mock vendor over TLS on loopback, so no Linux server is needed. Paths are built with
 * path.join and compared as the platform writes them.
 */

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SECRET = 'everyday-secret-8Rk1';
const ENV = { ADSYNC_CLIENT_SECRET: SECRET };

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A folder with a space in its name, pushing an LDIF copy to a fresh mock vendor. */
async function project(): Promise<{ cwd: string; mock: MockServer; ldif: string }> {
  const mock = await startMockServer({ clients: [{ id: 'adsync', secret: SECRET }] });
  servers.push(mock);
  const cwd = join(await tempDir(), 'my company');
  await mkdir(cwd);
  const ldif = join(cwd, 'company.ldif');
  await writeConfig(cwd, {
    ...exampleConfig(),
    directory: { kind: 'ldif', file: './company.ldif', baseDN: 'dc=example,dc=com' },
    target: { ...mockTarget(mock.url, './mock-ca.pem'), retries: { attempts: 1 } },
    state: { dir: './state' },
    output: { dir: './out' },
    schedule: { cron: '0 6 * * 1-5' },
  });
  await writeFile(join(cwd, 'mock-ca.pem'), mock.certificate);
  await copyFile(EXAMPLE_LDIF, ldif);
  return { cwd, mock, ldif };
}

const adsync = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });

describe('everyday commands on this platform (LDIF export, mock vendor)', () => {
  it('check, push --dry-run, push, history, diff and explain', async () => {
    const { cwd, mock, ldif } = await project();
    const check = await adsync(['check'], cwd);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain('hq');

    const dry = await adsync(['push', '--dry-run', '--json'], cwd);
    expect(dry.code, dry.stderr).toBe(0);
    const csvPath = (JSON.parse(dry.stdout) as { csvPath: string }).csvPath;
    expect(csvPath.startsWith(join(cwd, 'out'))).toBe(true);
    expect(await readFile(csvPath, 'utf8')).toContain('ada@example.com');
    expect(mock.uploads()).toHaveLength(0);

    const first = await adsync(['push', '--first-push'], cwd);
    expect(first.code, first.stderr).toBe(0);
    expect(mock.uploads()).toHaveLength(1);

    // A leaver: Walt goes from the export.
    const records = (await readFile(ldif, 'utf8')).split(/\n\n+/);
    await writeFile(ldif, `${records.filter((r) => !r.startsWith('dn: uid=walt,')).join('\n\n')}\n`);
    expect((await adsync(['push', '--dry-run'], cwd)).code).toBe(0);
    const second = await adsync(['push', '--allow-archive', '1'], cwd);
    expect(second.code, second.stderr).toBe(0);
    expect(mock.uploads()).toHaveLength(2);
    // The last two pushes' CSVs.
    const diff = await adsync(['diff'], cwd);
    expect(diff.code, diff.stderr).toBe(0);
    expect(`${diff.stdout}${diff.stderr}`).toContain('walt@example.com');

    const history = await adsync(['history'], cwd);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/push +receptionist .* uploaded +0 +10 +\+10 ~0 -0 =0/);
    expect(history.stdout).toMatch(/push +receptionist .* uploaded +0 +9 +\+0 ~0 -1 =9/);
    expect(history.stdout).toMatch(/dry run +receptionist .* ok +0 +9 +\+0 ~0 -1 =9/);

    const explain = await adsync(['explain', 'ada@example.com'], cwd);
    expect(explain.code, explain.stderr).toBe(0);
    expect(`${explain.stdout}${explain.stderr}`).toContain('hq');
    const gone = await adsync(['explain', 'walt@example.com'], cwd);
    expect(`${gone.stdout}${gone.stderr}`).toContain('nobody in the directory matches "walt@example.com"');
  }, 120_000);

  it('schedule install --platform windows --print writes a task that runs this config', async () => {
    const { cwd } = await project();
    const run = await adsync(['schedule', 'install', '--platform', 'windows', '--print'], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('<Task');
    expect(run.stdout).toContain(join(cwd, 'adsync.yaml'));
  });
});
