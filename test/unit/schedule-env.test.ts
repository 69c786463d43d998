// What `schedule install` says a scheduled job must be given (the config's ${env:} names), the
// cron daemon check, and how a next run's time is shown.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { envReferenceNames } from '../../src/config/secrets.js';
import { parseCron } from '../../src/schedule/cron-convert.js';
import { cronDaemon } from '../../src/schedule/cron-daemon.js';
import { jobLacks, shellOnlyNote } from '../../src/schedule/job-env.js';
import { crontabBlock, systemdUnits, windowsTask, type ScheduleSpec } from '../../src/schedule/platforms.js';
import { describeRunTime } from '../../src/schedule/run-time.js';
import { tempDir } from '../harness/files.js';
import { SYSTEMD_ANALYZE, systemTool } from '../harness/tools.js';
import { expectBalancedXml } from '../harness/xml.js';

const hasPython =
  process.platform !== 'win32' && spawnSync('python3', ['-c', 'import xml.dom.minidom']).status === 0;

const spec = (envNames: string[], credentialNames: string[] = []): ScheduleSpec => ({
  name: 'adsync',
  program: '/usr/bin/node',
  programArgs: ['/opt/adsync/bin/adsync.js'],
  configPath: '/etc/adsync/adsync.yaml',
  workingDir: '/etc/adsync',
  cron: parseCron('0 6 * * *'),
  timezone: undefined,
  randomDelayMs: 0,
  timeoutMs: 30 * 60_000,
  envNames,
  credentialNames,
});

/** What systemd-analyze verify says about the units, leaving out the spec's program (not here). */
async function verifyUnits(files: readonly { name: string; content: string }[]): Promise<string[]> {
  const dir = await tempDir();
  for (const file of files) await writeFile(join(dir, file.name), file.content);
  const verify = spawnSync(
    'systemd-analyze',
    ['verify', '--man=no', ...files.map((f) => join(dir, f.name))],
    { encoding: 'utf8' },
  );
  return verify.stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('/usr/bin/node'));
}

describe('the ${env:} variables a scheduled job needs', () => {
  it('lists each referenced name once, in order, never an escaped one or a ${file:}', () => {
    const raw = {
      directory: { bindPassword: '${env:BIND_PW}', url: 'ldaps://${env:AD_HOST}:636' },
      target: { clientSecret: '${env:BIND_PW}', apiKey: '${file:./key.txt}' },
      notify: { webhook: 'https://hooks.example/$${env:NOT_A_REF}' },
      locations: [{ slug: 'hq', ous: ['${env:OU}'] }],
    };
    expect(envReferenceNames(raw)).toEqual(['BIND_PW', 'AD_HOST', 'OU']);
    expect(envReferenceNames({ a: 1, b: null, c: [true] })).toEqual([]);
  });

  it('leaves out what the scheduler gives a job itself (Windows ignoring case)', () => {
    expect(jobLacks('cron', ['HOME', 'BIND_PW', 'USER'])).toEqual(['BIND_PW', 'USER']);
    expect(jobLacks('systemd', ['HOME', 'BIND_PW', 'USER'])).toEqual(['BIND_PW']);
    expect(jobLacks('windows', ['UserProfile', 'BIND_PW'])).toEqual(['BIND_PW']);
    // A keytab delivered as a systemd credential: ${env:CREDENTIALS_DIRECTORY}/adsync.keytab.
    expect(jobLacks('systemd', ['CREDENTIALS_DIRECTORY'])).toEqual([]);
    expect(jobLacks('cron', ['CREDENTIALS_DIRECTORY'])).toEqual(['CREDENTIALS_DIRECTORY']);
  });

  it('cron: names them in comment lines of the block (each marked, so a reinstall replaces them)', () => {
    const block = crontabBlock(spec(['BIND_PW', 'VENDOR_SECRET'])).files[0]?.content ?? '';
    const lines = block.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.endsWith('#adsync-job:/etc/adsync/adsync.yaml'))).toBe(true);
    expect(lines[1]).toMatch(
      /^# cron starts this job without your shell's variables;.* BIND_PW, VENDOR_SECRET /,
    );
    expect(lines[2]).toMatch(/^# give them as NAME=value lines above these lines/);
    // Without references, the block is the comment and the job only.
    expect((crontabBlock(spec([])).files[0]?.content ?? '').trimEnd().split('\n')).toHaveLength(2);
  });

  it('systemd: an optional EnvironmentFile= in the config folder, with the names, that systemd accepts', async () => {
    const artifacts = systemdUnits(spec(['BIND_PW', 'VENDOR_SECRET']));
    const service = artifacts.files[0]?.content ?? '';
    expect(service).toContain('#   BIND_PW, VENDOR_SECRET\n');
    expect(service).toContain('\nEnvironmentFile=-/etc/adsync/adsync.env\n');
    expect(service).toContain('# Or keep them encrypted: ${credential:NAME} in the config');
    expect(artifacts.notes.join('\n')).toContain(
      "the config's ${env:} references need BIND_PW, VENDOR_SECRET",
    );
    // No references: the line stays a comment.
    expect(systemdUnits(spec([])).files[0]?.content).toContain('\n#EnvironmentFile=/etc/adsync/adsync.env\n');
    // The program of the spec need not exist here; anything else is a real complaint.
    if (systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE))
      expect(await verifyUnits(artifacts.files)).toEqual([]);
  });

  it('systemd: one LoadCredentialEncrypted= line per ${credential:} name, and how to create each', async () => {
    const artifacts = systemdUnits(spec([], ['bind-pw', 'vendor%secret']));
    const service = artifacts.files[0]?.content ?? '';
    const lines = service.split('\n').filter((l) => l.startsWith('LoadCredentialEncrypted='));
    // %E: the user's config folder in a user unit, /etc in a system one; a `%` in a name is escaped.
    expect(lines).toEqual([
      'LoadCredentialEncrypted=bind-pw:%E/credstore.encrypted/bind-pw',
      'LoadCredentialEncrypted=vendor%%secret:%E/credstore.encrypted/vendor%%secret',
    ]);
    const note = artifacts.notes.join('\n');
    expect(note).toContain("the config's ${credential:} references need bind-pw, vendor%secret");
    expect(note).toContain(
      'systemd-creds --user encrypt --name=bind-pw - ~/.config/credstore.encrypted/bind-pw',
    );
    expect(note).toContain('sudo systemd-creds encrypt --name=NAME - /etc/credstore.encrypted/NAME');
    // Without references: no line, no note.
    expect(systemdUnits(spec([])).files[0]?.content).not.toContain('LoadCredential');
    expect(systemdUnits(spec([])).notes.join('\n')).not.toContain('credential');
    if (systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE))
      expect(await verifyUnits(artifacts.files)).toEqual([]);
  });

  it('Windows: says to set them for the account the task runs as, and that system variables are not private', () => {
    const note = windowsTask(spec(['BIND_PW'])).notes.join('\n');
    expect(note).toContain(
      "the config's ${env:} references need BIND_PW; set them as user environment variables of the account the task runs as",
    );
    expect(note).toContain('system variables (setx /M) are readable by every user');
    // The task names them in a comment before <Task>, which an XML parser accepts even for a
    // name with `--` (not allowed inside a comment).
    const xml = windowsTask(spec(['BIND_PW', 'ODD--NAME'])).files[0]?.content ?? '';
    expect(xml).toMatch(
      /^<\?xml [^\n]*\?>\n<!-- The task does not inherit your session's variables\. The config's \$\{env:\} references need: BIND_PW, ODD- -NAME\. [^\n]* -->\n<Task /,
    );
    expectBalancedXml(xml);
    if (hasPython) {
      const parsed = spawnSync(
        'python3',
        ['-c', 'import sys, xml.dom.minidom as m; m.parseString(sys.stdin.read())'],
        {
          input: xml,
          encoding: 'utf8',
        },
      );
      expect(parsed.status, parsed.stderr).toBe(0);
    }
    expect(windowsTask(spec([])).files[0]?.content).not.toContain('<!--');
  });

  it('says which of them are set in this shell, where the job will still not have them; never a value', () => {
    const env = { BIND_PW: 'hunter2-value', VENDOR_SECRET: '' };
    const notes = shellOnlyNote(['BIND_PW', 'VENDOR_SECRET'], env);
    expect(notes).toEqual([
      'BIND_PW is set in this shell, but the job does not inherit it: give it to the job as said above.',
    ]);
    expect(shellOnlyNote(['VENDOR_SECRET'], env)).toEqual([]);
  });
});

/** A /proc-like tree of processes: pid → comm (and cmdline). */
async function procTree(processes: Record<string, { comm: string; cmdline?: string[] }>): Promise<string> {
  const root = await tempDir();
  for (const [pid, p] of Object.entries(processes)) {
    await mkdir(join(root, pid));
    await writeFile(join(root, pid, 'comm'), `${p.comm}\n`);
    await writeFile(join(root, pid, 'cmdline'), `${(p.cmdline ?? [p.comm]).join('\0')}\0`);
  }
  return root;
}

describe('whether a cron daemon runs', () => {
  it('finds cron, crond and BusyBox’s applet by their process names', async () => {
    for (const [comm, cmdline, name] of [
      ['cron', ['/usr/sbin/cron', '-f'], 'cron'],
      ['crond', ['crond', '-n'], 'crond'],
      ['busybox', ['/bin/busybox', 'crond', '-f'], 'busybox crond'],
    ] as const) {
      const root = await procTree({ '1': { comm: 'systemd' }, '417': { comm, cmdline: [...cmdline] } });
      expect(cronDaemon(root)).toEqual({ state: 'running', name, pid: 417 });
    }
  });

  it('says none runs, and whether systemd is the init that would start one', async () => {
    const withSystemd = await procTree({ '1': { comm: 'systemd' }, '20': { comm: 'sshd' } });
    expect(cronDaemon(withSystemd)).toEqual({ state: 'stopped', systemd: true });
    // A container: its first process is the application; a process merely named like an applet is not one.
    const container = await procTree({
      '1': { comm: 'node' },
      '9': { comm: 'busybox', cmdline: ['busybox', 'sh'] },
    });
    expect(cronDaemon(container)).toEqual({ state: 'stopped', systemd: false });
  });

  it('does not guess when it cannot see every process (no /proc, or one that hides PID 1)', async () => {
    const hidden = await procTree({ '3021': { comm: 'bash' } });
    expect(cronDaemon(hidden)).toMatchObject({ state: 'unknown' });
    expect(cronDaemon(join(hidden, 'nothing-here'))).toMatchObject({ state: 'unknown' });
  });

  const hasPgrep = process.platform === 'linux' && spawnSync('pgrep', ['-V']).status === 0;
  it.skipIf(!hasPgrep)('agrees with pgrep on this machine', () => {
    const found = ['cron', 'crond', 'fcron'].some((name) => spawnSync('pgrep', ['-x', name]).status === 0);
    // Unknown only where /proc hides other users' processes, as pgrep's view would be partial too.
    expect(cronDaemon().state === 'running').toBe(found);
  });
});

describe('a next run as the operator reads it', () => {
  const winter = '2026-12-08T05:00:00.000Z';

  it("in the schedule's zone, with its name, then this machine's zone and UTC", () => {
    expect(describeRunTime(winter, undefined, 'Europe/Berlin')).toBe('2026-12-08 06:00 CET (05:00 UTC)');
    expect(describeRunTime('2026-12-08T11:00:00.000Z', 'America/Toronto', 'Europe/Paris')).toBe(
      '2026-12-08 06:00 EST (12:00 CET, 11:00 UTC)',
    );
    expect(describeRunTime('2026-07-08T04:00:00.000Z', 'Europe/Paris', 'Europe/Paris')).toBe(
      '2026-07-08 06:00 CEST (04:00 UTC)',
    );
  });

  it('once in UTC on a UTC machine, the date repeated where it differs, an offset where no name is known', () => {
    expect(describeRunTime(winter, undefined, 'UTC')).toBe('2026-12-08 05:00 UTC');
    expect(describeRunTime(winter, undefined, 'Etc/UTC')).toBe('2026-12-08 05:00 UTC');
    expect(describeRunTime('2026-12-07T23:00:00.000Z', 'Asia/Kolkata', 'UTC')).toBe(
      '2026-12-08 04:30 UTC+5:30 (2026-12-07 23:00 UTC)',
    );
    expect(describeRunTime('2026-12-08T05:00:30.000Z', undefined, 'UTC')).toBe('2026-12-08 05:00:30 UTC');
  });
});
