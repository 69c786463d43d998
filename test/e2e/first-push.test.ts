import { copyFile, readFile, readdir, rename, rm, statfs, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { startMockServer, type MockServer } from '../../src/mock-server/server.js';
import { statePaths } from '../../src/state/paths.js';
import { runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig, mockTarget } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { startWebhookReceiver } from '../harness/hostile-vendor.js';
import { mountTmpfs, tmpfsSkip } from '../harness/tmpfs.js';

/**
 * The guard's memory (issue 23 §2): a push with no baseline is stopped until the baseline is
 * adopted or the first push approved; an adopted baseline guards the first push; the baseline
 * is the vendor account's, whatever the URL's spelling or the API key. Real files, the bundled
 * mock vendor over TLS on loopback.
 */

const EXAMPLE_LDIF = fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url));
const SECRET = 'first-push-secret-7Hq2';
const ENV = { ADSYNC_CLIENT_SECRET: SECRET };

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** A fresh mock vendor (its own address book) and a project pushing to it from an LDIF copy. */
async function project(
  target: Record<string, unknown> = {},
  mockOptions: { port?: number; statePath?: string; secret?: string } = {},
  top: Record<string, unknown> = {},
): Promise<{
  cwd: string;
  mock: MockServer;
  ldif: string;
  write: (t?: Record<string, unknown>) => Promise<void>;
}> {
  const mock = await startMockServer({
    clients: [{ id: 'adsync', secret: mockOptions.secret ?? SECRET }],
    ...(mockOptions.port !== undefined ? { port: mockOptions.port } : {}),
    ...(mockOptions.statePath !== undefined ? { statePath: mockOptions.statePath } : {}),
  });
  servers.push(mock);
  const cwd = await tempDir();
  const caFile = join(cwd, 'mock-ca.pem');
  await writeFile(caFile, mock.certificate);
  const ldif = join(cwd, 'company.ldif');
  await copyFile(EXAMPLE_LDIF, ldif);
  const base = exampleConfig();
  const write = async (extra: Record<string, unknown> = target): Promise<void> => {
    await writeConfig(cwd, {
      ...base,
      directory: { kind: 'ldif', file: './company.ldif', baseDN: base.directory.baseDN },
      target: { ...mockTarget(mock.url, caFile), retries: { attempts: 1 }, ...extra },
      state: { dir: './state' },
      output: { dir: './out' },
      ...top,
    });
  };
  await write();
  return { cwd, mock, ldif, write };
}

const adsync = (args: string[], cwd: string, env: NodeJS.ProcessEnv = ENV): Promise<CliRun> =>
  runAdsync(args, { cwd, env });

/** The LDIF without the people of one OU: a short export, as a broken filter would give. */
async function dropOu(ldif: string, ou: string): Promise<void> {
  const records = (await readFile(ldif, 'utf8')).split(/\n\n+/);
  await writeFile(
    ldif,
    `${records.filter((r) => !new RegExp(`^dn: uid=\\w+,ou=${ou},`).test(r)).join('\n\n')}\n`,
  );
}

const stateFiles = async (cwd: string): Promise<string[]> =>
  (await readdir(join(cwd, 'state'))).filter((n) => /^state-.*\.json$/.test(n));

describe('a push with no baseline (real files, mock vendor)', () => {
  it('stops with exit 3, uploads nothing, names the two ways on, fires the webhook, and history shows the stop', async () => {
    const hook = await startWebhookReceiver();
    const { cwd, mock } = await project(
      {},
      {},
      { notify: { webhook: `${hook.url}/hook`, caFile: './hook.pem' } },
    );
    await writeFile(join(cwd, 'hook.pem'), hook.certificate);
    const run = await adsync(['push', '--json'], cwd).finally(() => hook.stop());
    expect(run.code).toBe(3);
    expect(hook.seen).toHaveLength(1);
    expect(hook.seen[0]?.body).toContain('no-baseline');
    expect(run.stderr).toContain('no baseline for this vendor account');
    expect(run.stderr).toContain('adsync adopt FILE');
    expect(run.stderr).toContain('adsync push --first-push');
    expect(JSON.parse(run.stdout)).toMatchObject({ exitCode: 3, plan: { firstPush: true } });
    expect(mock.uploads()).toHaveLength(0);
    expect(await stateFiles(cwd)).toEqual([]);
    // --force lifts the archive guards, not this one.
    expect((await adsync(['push', '--force'], cwd)).code).toBe(3);
    expect(mock.uploads()).toHaveLength(0);
    const history = await adsync(['history'], cwd);
    expect(history.stdout).toMatch(/push .* guard +3 /);
    expect(history.stdout).toContain('no-baseline');
    // A dry run says the same, and still writes the CSV to inspect.
    const dry = await adsync(['push', '--dry-run'], cwd);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('first push (no baseline)');
  });

  it('goes through with --first-push, records the baseline, and refuses --first-push once there is one', async () => {
    const { cwd, mock } = await project();
    const first = await adsync(['push', '--first-push'], cwd);
    expect(first.code).toBe(0);
    expect(mock.uploads()).toHaveLength(1);
    expect(await stateFiles(cwd)).toHaveLength(1);
    const again = await adsync(['push', '--first-push'], cwd);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--first-push');
    expect(mock.uploads()).toHaveLength(1);
    expect((await adsync(['push'], cwd)).code).toBe(0);
  });

  it('after a lost state directory, an adopted CSV guards the first push against a short export', async () => {
    const { cwd, mock, ldif } = await project();
    const first = await adsync(['push', '--first-push', '--json'], cwd);
    expect(first.code).toBe(0);
    const csvPath = (JSON.parse(first.stdout) as { csvPath: string }).csvPath;
    const held = mock.contacts().filter((c) => c.status === 'active').length;
    // The state directory is lost (moved, re-pointed, restored from an old backup)…
    await rm(join(cwd, 'state'), { recursive: true });
    await dropOu(ldif, 'hq');
    expect((await adsync(['push'], cwd)).code).toBe(3);
    // …and the CSV the vendor received last becomes the baseline.
    const adopted = await adsync(['adopt', csvPath], cwd);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(adopted.stderr).toMatch(/adopted/i);
    const guarded = await adsync(['push'], cwd);
    expect(guarded.code).toBe(3);
    expect(guarded.stderr).toMatch(/archive/);
    expect(guarded.stderr).not.toContain('no baseline');
    expect(mock.uploads()).toHaveLength(1);
    expect(mock.contacts().filter((c) => c.status === 'active')).toHaveLength(held);
    const history = await adsync(['history'], cwd);
    expect(history.stdout).toMatch(/adopt/);
  });

  it('adopt refuses to replace a baseline unless asked, and then keeps the old one aside', async () => {
    const { cwd } = await project();
    const first = await adsync(['push', '--first-push', '--json'], cwd);
    const csvPath = (JSON.parse(first.stdout) as { csvPath: string }).csvPath;
    const [name] = await stateFiles(cwd);
    const before = await readFile(join(cwd, 'state', name ?? ''));
    const refused = await adsync(['adopt', csvPath], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--replace');
    expect(await readFile(join(cwd, 'state', name ?? ''))).toEqual(before);
    const replaced = await adsync(['adopt', csvPath, '--replace'], cwd);
    expect(replaced.code, replaced.stderr).toBe(0);
    const kept = (await readdir(join(cwd, 'state'))).filter((n) => n.includes('.replaced-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(cwd, 'state', kept[0] ?? ''))).toEqual(before);
    // A file that is not a CSV of the profile's layout is refused, the baseline untouched.
    await writeFile(join(cwd, 'not.csv'), 'Name,Whatever\n"unclosed\n');
    expect((await adsync(['adopt', 'not.csv', '--replace'], cwd)).code).not.toBe(0);
  });
  it('adopt takes a vendor export with fewer columns, and says what it left out or cannot map', async () => {
    const { cwd } = await project();
    await writeFile(
      join(cwd, 'export.csv'),
      [
        'First Name,Last Name,Email,SMS Phone,Location Slug,Identification',
        'Ada,Lovelace,ada@example.com,,hq,1001',
        'No,Key,,,hq,',
        'Ada,Again,ada@example.com,,hq,1001',
        'Tom,Elsewhere,tom@example.com,,paris,3003',
        '',
      ].join('\r\n'),
    );
    const run = await adsync(['adopt', 'export.csv', '--json'], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      adopted: { contacts: 2, withoutKey: [3], repeated: [4], unmapped: ['paris'] },
    });
    const shown = await adsync(['adopt', 'export.csv', '--replace'], cwd);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain('paris');
    expect(shown.stderr).toContain('Business Title');
    expect(shown.stderr).toContain('lines 3');
  });
});

describe('the baseline is the vendor account’s (real files, mock vendor)', () => {
  it('keeps the baseline and the guards when the upload URL is written differently', async () => {
    const { cwd, mock, ldif, write } = await project();
    expect((await adsync(['push', '--first-push'], cwd)).code).toBe(0);
    const url = new URL(mock.url);
    await write({ uploadUrl: `HTTPS://${url.host}/contacts/./x/../import` });
    const same = await adsync(['push', '--json'], cwd);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ plan: { firstPush: false, create: 0, archive: 0 } });
    await dropOu(ldif, 'hq');
    expect((await adsync(['push'], cwd)).code).toBe(3);
    expect(await stateFiles(cwd)).toHaveLength(1);
  });

  it('keeps the baseline when the API key is rotated', async () => {
    const statePath = join(await tempDir(), 'vendor.json');
    const { cwd, mock, ldif, write } = await project({}, { statePath });
    const port = Number(new URL(mock.url).port);
    const apiTarget = (variable: string): Record<string, unknown> => ({
      tokenUrl: undefined,
      clientId: undefined,
      clientSecret: undefined,
      apiKey: `\${env:${variable}}`,
    });
    await write(apiTarget('OLD_KEY'));
    expect((await adsync(['push', '--first-push'], cwd, { OLD_KEY: SECRET })).code).toBe(0);
    // The vendor issues a new key; the address book is the same account's.
    await mock.stop();
    servers.splice(servers.indexOf(mock), 1);
    servers.push(
      await startMockServer({ clients: [{ id: 'adsync', secret: 'rotated-key-9Zx' }], port, statePath }),
    );
    await writeFile(join(cwd, 'mock-ca.pem'), servers[servers.length - 1]?.certificate ?? '');
    await write(apiTarget('NEW_KEY'));
    const rotated = await adsync(['push', '--json'], cwd, { NEW_KEY: 'rotated-key-9Zx' });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ plan: { firstPush: false, create: 0, archive: 0 } });
    await dropOu(ldif, 'hq');
    expect((await adsync(['push'], cwd, { NEW_KEY: 'rotated-key-9Zx' })).code).toBe(3);
  });

  it('reads a state an earlier release named by the raw URL, and moves it to the account’s name', async () => {
    const { cwd, mock, ldif } = await project();
    expect((await adsync(['push', '--first-push'], cwd)).code).toBe(0);
    const [name = ''] = await stateFiles(cwd);
    // The name an earlier release gave it: profile, raw upload URL, client id.
    const legacy = statePaths(join(cwd, 'state'), `receptionist|${mock.url}/contacts/import|adsync`).state;
    await rename(join(cwd, 'state', name), legacy);
    await dropOu(ldif, 'hq');
    expect((await adsync(['push'], cwd)).code).toBe(3);
    const dry = await adsync(['push', '--dry-run', '--json'], cwd);
    expect(JSON.parse(dry.stdout)).toMatchObject({ plan: { firstPush: false } });
    await copyFile(EXAMPLE_LDIF, ldif);
    expect((await adsync(['push'], cwd)).code).toBe(0);
    expect(await stateFiles(cwd)).toEqual([name]);
  });

  it('a dry run without the vendor variables plans against the last push of that target', async () => {
    const { cwd, ldif } = await project({ clientId: '${env:ADSYNC_CLIENT_ID}' });
    expect((await adsync(['push', '--first-push'], cwd, { ...ENV, ADSYNC_CLIENT_ID: 'adsync' })).code).toBe(
      0,
    );
    await dropOu(ldif, 'warehouse');
    // Without the vendor's variables the client id is unknown: the only account recorded for the
    // profile and URL is the one planned against, so the guards see the short export.
    const dry = await adsync(['push', '--dry-run', '--json'], cwd, {});
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stderr).toContain('compared with the last push');
    expect(JSON.parse(dry.stdout)).toMatchObject({ plan: { firstPush: false, create: 0, archive: 2 } });
  });
});

describe('a state file adsync cannot read (real files)', () => {
  it('of a newer version is exit 2, and of a damaged one exit 1, never a push without a baseline', async () => {
    const { cwd, mock } = await project();
    expect((await adsync(['push', '--first-push'], cwd)).code).toBe(0);
    const [name] = await stateFiles(cwd);
    const path = join(cwd, 'state', name ?? '');
    const good = await readFile(path, 'utf8');
    const [header = '', ...rest] = good.split('\n');
    await writeFile(path, [header.replace(/"version":\d+/, '"version":99'), ...rest].join('\n'));
    const newer = await adsync(['push'], cwd);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toContain('newer adsync');
    await writeFile(path, `${header}\n{"not":"a contact line"\n`);
    const damaged = await adsync(['push'], cwd);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).not.toContain('bug in adsync');
    expect(damaged.stderr).toContain('adsync adopt FILE --replace');
    expect(damaged.stderr).toContain('Do not delete it');
    await writeFile(path, '[1,2,3]\n');
    const shape = await adsync(['push', '--dry-run'], cwd);
    expect(shape.code).toBe(1);
    expect(shape.stderr).not.toContain('bug in adsync');
    expect(mock.uploads()).toHaveLength(1);
  });
});

describe.skipIf(tmpfsSkip !== '')(
  `the vendor accepted the upload, the baseline could not be saved (tmpfs, mock vendor)${tmpfsSkip ? ` (SKIPPED: ${tmpfsSkip})` : ''}`,
  () => {
    it('fails with exit 1 saying the vendor imported the file, what the run did, and what the next run does', async () => {
      const { cwd, mock, ldif } = await project();
      const disk = await mountTmpfs('size=1m');
      await symlink(disk, join(cwd, 'state'));
      expect((await adsync(['push', '--first-push'], cwd)).code).toBe(0);
      const before = await readFile(join(disk, (await stateFiles(cwd))[0] ?? ''));
      await dropOu(ldif, 'warehouse');
      // Room for the lock file (one page) and not one byte more: the new state cannot be written.
      const { bavail, bsize } = await statfs(disk);
      await writeFile(join(disk, 'filler'), Buffer.alloc((bavail - 1) * bsize));
      const run = await adsync(['push', '--allow-archive', '2', '--force'], cwd);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('the vendor imported the file, but the new baseline could not be saved');
      expect(run.stderr).toMatch(/read \d+ entries/);
      expect(run.stderr).toMatch(/Plan: .*2 to archive/);
      expect(run.stderr).toContain('uploaded (HTTP 200)');
      expect(run.stderr).toContain('the next push is planned against that');
      expect(run.stderr).not.toContain('bug in adsync');
      expect(mock.uploads()).toHaveLength(2);
      // The old baseline is whole, and the lock was released.
      expect(await readFile(join(disk, (await stateFiles(cwd))[0] ?? ''))).toEqual(before);
      expect((await readdir(disk)).filter((n) => n.endsWith('.lock'))).toEqual([]);
    });
  },
);
