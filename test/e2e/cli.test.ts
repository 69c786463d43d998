import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { adConfig } from '../harness/ad-config.js';
import { AD } from '../harness/ad-data.js';
import { BIND_ENV, EXPECTED_RECEPTIONIST_CSV, exampleConfig, mockTarget } from '../harness/example-config.js';
import { BIN, firstStdoutLine, runAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

const skip = inject('slapdSkip');

const adsync = runAdsync;

describe('adsync CLI without a directory', () => {
  it('prints help with examples, and the version', async () => {
    const cwd = await tempDir();
    const help = await adsync(['--help'], { cwd });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('adsync push --dry-run');
    expect(help.stdout).toContain('Exit codes');
    const version = await adsync(['--version'], { cwd });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 on an unknown option or command, and when the command is missing', async () => {
    const cwd = await tempDir();
    const missing = await adsync(['--config', 'adsync.yaml'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: adsync');
    const run = await adsync(['push', '--dryrun'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option '--dryrun'");
    expect((await adsync(['pusj'], { cwd })).code).toBe(2);
  });

  it('mock-server: a port out of range or not a number is a usage error (2), without a stack', async () => {
    const cwd = await tempDir();
    for (const port of ['99999', '80abc']) {
      const run = await adsync(['mock-server', '--port', port, '--client', 'adsync:a-long-secret-123'], {
        cwd,
      });
      expect(run.code, port).toBe(2);
      expect(run.stderr).toContain(`argument '${port}' is invalid. expected a port number from 0 to 65535`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    }
  });

  it('mock-server: a port already in use is exit 1, naming the port, with a hint and no bug report', async () => {
    const cwd = await tempDir();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const run = await adsync(
        [
          'mock-server',
          '--port',
          String(port),
          '--client',
          'adsync:a-long-secret-123',
          '--report',
          'report.json',
        ],
        { cwd },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`EADDRINUSE`);
      expect(run.stderr).toContain(`127.0.0.1:${port}`);
      expect(run.stderr).toMatch(/hint: .*choose another port/);
      expect(run.stderr).not.toContain('bug in adsync');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(JSON.parse(await readFile(join(cwd, 'report.json'), 'utf8'))).toMatchObject({
        command: 'mock-server',
        status: 'error',
        exitCode: 1,
        error: { code: 'EADDRINUSE' },
      });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  // SIGTERM and TMPDIR are POSIX's (Windows' Ctrl-C stop is in test/windows).
  it.skipIf(process.platform === 'win32')(
    'mock-server without --ca-out keeps its certificate in a temporary folder it removes on stop',
    async () => {
      const tmp = await tempDir();
      const child = spawn(
        process.execPath,
        [BIN, 'mock-server', '--json', '--client', 'adsync:a-long-secret-123'],
        {
          cwd: tmp,
          env: { PATH: process.env.PATH, HOME: tmp, TMPDIR: tmp },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const ready = JSON.parse(await firstStdoutLine(child)) as { caFile: string };
      expect(ready.caFile.startsWith(`${tmp}/`)).toBe(true);
      expect((await stat(ready.caFile)).isFile()).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await readdir(tmp)).toEqual([]);
    },
  );

  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    const probe = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    const v = probe.error ? '' : probe.stdout.trim();
    const [major = 0, minor = 0] = v.split('.').map(Number);
    return v !== '' && (major < 22 || (major === 22 && minor < 19));
  });
  it.skipIf(oldNode === undefined)(
    `on a Node older than 22.19 says which is needed and what to do, exit 2, no stack${oldNode ? '' : ' (SKIPPED: no old node here)'}`,
    () => {
      const run = spawnSync(oldNode ?? '', [BIN, '--version'], { encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('adsync needs Node.js 22.19 or newer');
      expect(run.stderr).toMatch(/this is Node\.js \d+\.\d+\.\d+/);
      expect(run.stderr).toContain('bash scripts/install.sh');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe('');
    },
  );

  it('exits 2 with the key path for a bad config, in text and in the JSON report', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      ...exampleConfig(),
      directory: { kind: 'ldap', url: 'ldap://127.0.0.1:1', pagesize: 10 },
    });
    const run = await adsync(['push', '--dry-run'], { cwd, env: BIND_ENV });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/directory\.pagesize \(line \d+:3\): unknown key; did you mean "pageSize"\?/);
    expect(run.stderr).toContain('hint:');
    expect(run.stderr).not.toContain('\u001b['); // no colours without a TTY
    const json = await adsync(['push', '--dry-run', '--json'], { cwd, env: BIND_ENV });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: 'push',
      status: 'error',
      exitCode: 2,
      error: { code: 'CONFIG_INVALID' },
    });
  });

  it('exits 2 when a secret reference cannot be resolved', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const run = await adsync(['push', '--dry-run'], { cwd, env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('environment variable TEST_BIND_PASSWORD is not set');
  });

  it('init writes a starter config that check understands, and refuses to overwrite it', async () => {
    const cwd = await tempDir();
    const first = await adsync(['init', '--kind', 'ldap', '--profile', 'ilobby'], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe(join(cwd, 'adsync.yaml'));
    const text = await readFile(join(cwd, 'adsync.yaml'), 'utf8');
    expect(text).toContain('profile: ilobby');
    // Mode bits are POSIX's; on Windows the folder's ACL protects the file.
    if (process.platform !== 'win32') expect((await stat(join(cwd, 'adsync.yaml'))).mode & 0o777).toBe(0o600);
    const again = await adsync(['init'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists; not overwriting it');
    expect(await readFile(join(cwd, 'adsync.yaml'), 'utf8')).toBe(text);
    expect((await adsync(['init', '--kind', 'novell'], { cwd })).code).toBe(2);
  });

  it('push without upload settings is a config error before the directory is touched', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const run = await adsync(['push'], { cwd, env: BIND_ENV });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('target.uploadUrl is required to upload (profile receptionist)');
    expect(run.stderr).toContain('--dry-run');
    expect(await readdir(cwd)).toEqual(['adsync.yaml']);
  });
});

describe.skipIf(skip !== '')(`adsync CLI against a real slapd${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('push --dry-run writes the CSV and rejects, prints the CSV path on stdout and a summary on stderr', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const run = await adsync(['push', '--dry-run'], { cwd, env: BIND_ENV });
    expect(run.code).toBe(0);
    const csvPath = run.stdout.trim();
    expect(await readFile(csvPath, 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
    expect(run.stderr).toMatch(/hq\s+7 rows\s+6 rejected/);
    expect(run.stderr).toMatch(/warehouse\s+3 rows/);
    expect(run.stderr).toContain('Dry run: nothing was uploaded.');
    expect(run.stderr).toContain('uid=eve,ou=hq,ou=people,dc=example,dc=com: Business Title');
    expect(run.stderr).not.toContain('svc-password-123');
    const rejects = await readFile(csvPath.replace(/\.csv$/, '.rejects.csv'), 'utf8');
    expect(rejects.split('\r\n')[0]).toBe(
      'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack,Source DN,Reasons',
    );
    expect(rejects.split('\r\n').filter(Boolean)).toHaveLength(7);
  });

  it('--json prints one report with counts, paths and warnings with DNs', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const run = await adsync(['push', '--dry-run', '--json', '--output', 'export.csv'], {
      cwd,
      env: BIND_ENV,
    });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      command: 'push',
      status: 'ok',
      exitCode: 0,
      dryRun: true,
      csvPath: join(cwd, 'export.csv'),
      rejectsPath: join(cwd, 'export.rejects.csv'),
      rows: 10,
      rejected: 6,
      locations: { hq: 7, warehouse: 3 },
      directory: { url: inject('ldapUrl'), tlsVersion: null },
    });
    expect(report.warnings).toContainEqual({
      dn: 'uid=badphone,ou=hq,ou=people,dc=example,dc=com',
      location: 'hq',
      message: 'SMS Phone "call me maybe" (from mobile) is not a phone number; left empty',
    });
    expect(await readFile(join(cwd, 'export.csv'), 'utf8')).toBe(EXPECTED_RECEPTIONIST_CSV);
    expect(run.stdout).not.toContain('svc-password-123');
  });

  it('--report FILE writes the run report for monitoring, on success and on failure, without secrets', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const ok = await adsync(['push', '--dry-run', '-q', '--report', 'report.json'], { cwd, env: BIND_ENV });
    expect(ok.code).toBe(0);
    expect(JSON.parse(await readFile(join(cwd, 'report.json'), 'utf8'))).toMatchObject({
      command: 'push',
      status: 'ok',
      exitCode: 0,
      rows: 10,
    });
    expect((await stat(join(cwd, 'report.json'))).mode & 0o777).toBe(0o600);
    const bad = await adsync(['push', '--dry-run', '-q', '--report', 'report.json'], {
      cwd,
      env: { TEST_BIND_PASSWORD: 'wrong-password-xyz' },
    });
    expect(bad.code).toBe(1);
    const text = await readFile(join(cwd, 'report.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ status: 'error', exitCode: 1, error: { code: 'LDAP_BIND' } });
    expect(text).not.toContain('wrong-password-xyz');
  });

  it('keeps only output.keep runs', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, { ...exampleConfig(), output: { dir: './out', keep: 2 } });
    for (let i = 0; i < 3; i++)
      expect((await adsync(['push', '--dry-run', '-q'], { cwd, env: BIND_ENV })).code).toBe(0);
    const files = await readdir(join(cwd, 'out'));
    expect(files.filter((f) => f.endsWith('.rejects.csv'))).toHaveLength(2);
    expect(files.filter((f) => /^plan-.*\.json$/.test(f))).toHaveLength(2);
    expect(files).toHaveLength(6);
  });

  it('exits 1 on bad credentials with a clear message and never prints the password', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, exampleConfig());
    const run = await adsync(['push', '--dry-run', '--verbose'], {
      cwd,
      env: { TEST_BIND_PASSWORD: 'not-the-password' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: bind failed for cn=adsync,ou=services,dc=example,dc=com');
    expect(run.stderr).toContain('hint: Check directory.bindDN and directory.bindPassword');
    expect(run.stderr + run.stdout).not.toContain('not-the-password');
    expect(await readdir(cwd)).not.toContain('out');
    const runs = (await readFile(join(cwd, 'adsync-state', 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(runs.at(-1) ?? '{}')).toMatchObject({ command: 'push', outcome: 'error', exitCode: 1 });
    expect(runs.join('\n')).not.toContain('not-the-password');
  });

  it('exits 1 on a missing OU, naming it', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, {
      ...exampleConfig(),
      locations: [{ slug: 'gone', ous: ['ou=gone,dc=example,dc=com'] }],
    });
    const run = await adsync(['push', '--dry-run', '--json'], { cwd, env: BIND_ENV });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('location "gone": search of ou=gone,dc=example,dc=com');
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'error',
      exitCode: 1,
      error: { code: 'LDAP_NO_SUCH_OBJECT' },
    });
    expect(await readdir(cwd)).not.toContain('out');
  });

  it('check shows reachability, TLS and a preview; exit 1 when a URL fails', async () => {
    const cwd = await tempDir();
    const config = exampleConfig();
    await writeConfig(cwd, {
      ...config,
      directory: { ...config.directory, url: inject('ldapsUrl'), caFile: inject('caFile') },
    });
    const ok = await adsync(['check'], { cwd, env: BIND_ENV });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/reachable, TLSv1\.[23], bound as cn=adsync/);
    expect(ok.stderr).toContain('hq: 7 rows, 6 rejected');
    expect(ok.stderr).toMatch(/^ {2}First/m);
    await writeConfig(cwd, {
      ...config,
      directory: { ...config.directory, url: [config.directory.url, 'ldap://127.0.0.1:1'] },
    });
    const partial = await adsync(['check', '--json'], { cwd, env: BIND_ENV });
    expect(partial.code).toBe(1);
    expect(JSON.parse(partial.stdout)).toMatchObject({
      status: 'error',
      urls: [{ ok: true }, { ok: false }],
    });
  });
});

const adSkip = inject('adSkip');

describe.skipIf(adSkip !== '')(`adsync CLI against Samba AD${adSkip ? ` (SKIPPED: ${adSkip})` : ''}`, () => {
  const config = (): Record<string, unknown> =>
    adConfig({
      locations: [
        { slug: 'hq', ous: [AD.hq] },
        { slug: 'warehouse', groups: [AD.warehouseStaff] },
      ],
    });

  it('check and push --dry-run --verbose work; references are shown, not chased', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, config());
    const env = { AD_BIND_PASSWORD: AD.svc.password };
    const checked = await adsync(['check'], { cwd, env });
    expect(checked.code).toBe(0);
    expect(checked.stderr).toMatch(
      new RegExp(`${inject('adLdapsUrl')}: reachable, TLSv1\\.[23], bound as ${AD.svc.upn}`),
    );
    const pushed = await adsync(['push', '--dry-run', '--verbose'], { cwd, env });
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain(
      `ignoring search reference ldaps://${AD.realm}/CN=Configuration,${AD.baseDN}`,
    );
    expect(pushed.stderr).toMatch(/hq\s+4 rows/);
    expect(pushed.stderr).toMatch(/warehouse\s+2 rows/);
    expect(pushed.stderr + pushed.stdout).not.toContain(AD.svc.password);
  });
});

describe.skipIf(skip !== '')(
  `adsync mock-server and push, as two processes${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    it('a sysadmin runs the mock in one terminal and push in another; no secret or token leaks anywhere', async () => {
      const cwd = await tempDir();
      const secret = 'e2e-client-secret-abcdef0123456789';
      const mock = spawn(
        process.execPath,
        [
          BIN,
          'mock-server',
          '--json',
          '--client',
          `adsync:${secret}`,
          '--ca-out',
          join(cwd, 'mock-ca.pem'),
          '--state',
          join(cwd, 'mock-state.json'),
        ],
        { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        const line = await firstStdoutLine(mock);
        const { url, caFile } = JSON.parse(line) as { url: string; caFile: string };
        expect(caFile).toBe(join(cwd, 'mock-ca.pem'));
        await writeConfig(cwd, {
          ...exampleConfig(),
          target: mockTarget(url, caFile),
        });
        const env = { ...BIND_ENV, ADSYNC_CLIENT_SECRET: secret };
        const first = await adsync(['push', '--first-push', '--json', '--verbose'], { cwd, env });
        expect(first.code).toBe(0);
        const report = JSON.parse(first.stdout) as { upload: unknown };
        expect(report.upload).toEqual({
          status: 'uploaded',
          httpStatus: 200,
          summary: { created: 10, updated: 0, unchanged: 0, archived: 0, errors: [] },
        });
        const second = await adsync(['push'], { cwd, env });
        expect(second.code).toBe(0);
        expect(second.stderr).toMatch(/unchanged\s+10/);
        expect(second.stderr).toMatch(/created\s+0/);

        // Every byte adsync wrote: its output and every file under the working directory.
        const state = JSON.parse(await readFile(join(cwd, 'mock-state.json'), 'utf8')) as unknown;
        expect(state).toBeTruthy();
        const written: string[] = [first.stdout, first.stderr, second.stdout, second.stderr];
        for (const name of await readdir(join(cwd, 'out')))
          written.push(await readFile(join(cwd, 'out', name), 'utf8'));
        const all = written.join('\n');
        expect(all).not.toContain(secret);
        expect(all).not.toContain('svc-password-123');
        expect(all).not.toMatch(/Bearer [A-Za-z0-9_-]{20,}/);
        expect(all).not.toMatch(/access_token/);
      } finally {
        mock.kill('SIGTERM');
        await new Promise((resolve) => mock.once('exit', resolve));
      }
    });
  },
);
