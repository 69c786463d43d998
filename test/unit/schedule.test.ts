import { spawnSync } from 'node:child_process';

import { createTask } from 'node-cron';
import { describe, expect, it } from 'vitest';

import { parseCron, toOnCalendar, toTaskTriggers } from '../../src/schedule/cron-convert.js';
import {
  crontabBlock,
  scheduleFileBytes,
  systemdUnits,
  windowsQuote,
  windowsTask,
  type ScheduleSpec,
} from '../../src/schedule/platforms.js';
import { SYSTEMD_ANALYZE, systemTool } from '../harness/tools.js';
import { expectBalancedXml } from '../harness/xml.js';

const hasSystemdAnalyze = systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE);

/** The next firings systemd computes for an OnCalendar value, as ISO instants. */
function systemdNext(onCalendar: string, count: number): string[] {
  const out = spawnSync('systemd-analyze', ['calendar', `--iterations=${count}`, onCalendar], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
  });
  expect(out.status, out.stderr).toBe(0);
  return [
    ...out.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g),
  ].map((m) => new Date(`${m[1] ?? ''}T${m[2] ?? ''}Z`).toISOString());
}

/** The next firings node-cron (`adsync schedule run`) computes. */
function cronNext(expression: string, timezone: string | undefined, count: number): string[] {
  // Without a zone, OnCalendar means local time; systemd-analyze runs with TZ=UTC, so node-cron does too.
  const task = createTask(expression, () => undefined, { timezone: timezone ?? 'UTC' });
  return task.getNextRuns(count).map((d) => d.toISOString());
}

const spec = (cron: string, extra: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  name: 'adsync',
  program: '/usr/bin/node',
  programArgs: ['/opt/adsync/bin/adsync.js'],
  configPath: '/etc/adsync/adsync.yaml',
  workingDir: '/etc/adsync',
  cron: parseCron(cron),
  timezone: undefined,
  randomDelayMs: 0,
  timeoutMs: 30 * 60_000,
  ...extra,
});

describe('cron expressions for each scheduler', () => {
  const expressions: [string, string | undefined][] = [
    ['0 6 * * *', 'America/Toronto'],
    ['30 5 * * 1-5', 'Europe/Paris'],
    ['0 6,18 * * *', undefined],
    ['*/15 * * * *', undefined],
    ['0 */6 * * *', 'UTC'],
    ['0 7 1,15 * *', 'America/Toronto'],
    ['15 2 * 1,7 *', undefined],
    ['0 9 * * sun', 'Asia/Tokyo'],
    ['@daily', undefined],
  ];

  it.skipIf(!hasSystemdAnalyze)(
    "systemd's OnCalendar fires exactly when node-cron does (checked with systemd-analyze)",
    () => {
      for (const [expression, tz] of expressions) {
        const onCalendar = toOnCalendar(parseCron(expression), tz);
        expect(systemdNext(onCalendar, 6), `${expression} → ${onCalendar}`).toEqual(
          cronNext(expression, tz, 6),
        );
      }
    },
  );

  it('writes the common forms readably', () => {
    expect(toOnCalendar(parseCron('0 6 * * *'), 'America/Toronto')).toBe('*-*-* 06:00:00 America/Toronto');
    expect(toOnCalendar(parseCron('30 5 * * 1-5'), undefined)).toBe('Mon,Tue,Wed,Thu,Fri *-*-* 05:30:00');
    expect(toOnCalendar(parseCron('*/15 * * * *'), undefined)).toBe('*-*-* *:00,15,30,45:00');
    expect(toOnCalendar(parseCron('0 6 1-5 * *'), undefined)).toBe('*-*-01..05 06:00:00');
  });

  it('refuses what a scheduler would run differently, naming the expression', () => {
    // node-cron runs this on the 1st when it is a Monday; cron would run it on the 1st OR on
    // Mondays, and a Task Scheduler trigger has one rule or the other.
    expect(() => crontabBlock(spec('0 6 1 * 1'))).toThrow(/"0 6 1 \* 1" cannot be expressed for cron/);
    // systemd, like node-cron, would need both, where the cron line it was written as means either.
    expect(() => systemdUnits(spec('0 6 1-7 * 1'))).toThrow(
      /"0 6 1-7 \* 1" cannot be expressed for systemd: cron runs a job when the day of the month OR the day of the week matches/,
    );
    expect(() => toTaskTriggers(parseCron('0 6 1 * 1'))).toThrow(/Task Scheduler/);
    for (const special of ['0 6 * * 1#2', '0 6 L-3 * *', '0 6 15W * *', '0 6 * * 5L'])
      expect(() => parseCron(special), special).toThrow(
        /cannot be installed in Task Scheduler, cron or systemd/,
      );
    expect(parseCron('@daily')).toMatchObject({ hour: [0], domRestricted: false, dowRestricted: false });
    expect(() => parseCron('0 25 * * *')).toThrow(/not a valid cron expression/);
    expect(() => crontabBlock(spec('*/10 * * * * *'))).toThrow(/seconds field/);
  });

  it('turns cron into Task Scheduler triggers: times, repetition, weekdays, days of the month', () => {
    expect(toTaskTriggers(parseCron('0 6,18 * * *'))).toEqual([
      { time: '06:00:00', days: { kind: 'daily' } },
      { time: '18:00:00', days: { kind: 'daily' } },
    ]);
    expect(toTaskTriggers(parseCron('*/15 * * * *'))).toEqual([
      { time: '00:00:00', repeatEvery: 'PT15M', days: { kind: 'daily' } },
    ]);
    expect(toTaskTriggers(parseCron('5 */6 * * *'))).toEqual([
      { time: '00:05:00', repeatEvery: 'PT6H', days: { kind: 'daily' } },
    ]);
    expect(toTaskTriggers(parseCron('0 6 * * 1-5'))[0]?.days).toEqual({
      kind: 'weekly',
      days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    });
    expect(toTaskTriggers(parseCron('0 6 L * *'))[0]?.days).toMatchObject({
      kind: 'monthly',
      days: ['Last'],
    });
    expect(toTaskTriggers(parseCron('0 7 1,15 * *'))[0]?.days).toMatchObject({
      kind: 'monthly',
      days: [1, 15],
    });
    expect(toTaskTriggers(parseCron('15 2 * 1,7 *'))[0]?.days).toEqual({
      kind: 'monthlyDayOfWeek',
      days: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
      months: ['January', 'July'],
    });
    const monthly = windowsTask(spec('15 2 * 1,7 *')).files[0]?.content ?? '';
    expect(monthly).toContain('<ScheduleByMonthDayOfWeek>');
    expect(monthly).toContain('<January />');
    expect(monthly).toContain('<Week>Last</Week>');
  });
});

describe('scheduler files', () => {
  it('crontab: changes to the folder, waits the random delay, kills a hung run, marks its lines', () => {
    const block = crontabBlock(spec('0 6 * * 1-5', { randomDelayMs: 10 * 60_000 })).files[0]?.content ?? '';
    const job = block.split('\n')[1] ?? '';
    expect(job).toBe(
      '0 6 * * 1-5 cd /etc/adsync && sleep $(shuf -i 0-600 -n 1) && exec timeout -k 60 2100 /usr/bin/node /opt/adsync/bin/adsync.js push --config /etc/adsync/adsync.yaml --quiet #adsync-job:/etc/adsync/adsync.yaml',
    );
  });

  // The job text runs under /bin/sh, which Windows has not.
  it.skipIf(process.platform === 'win32')('crontab: the job line parses in sh', () => {
    const block = crontabBlock(spec('0 6 * * 1-5', { randomDelayMs: 10 * 60_000 })).files[0]?.content ?? '';
    const job = block.split('\n')[1] ?? '';
    const sh = spawnSync('sh', ['-n', '-c', job.replace(/^(\S+\s+){5}/, '')]);
    expect(sh.status).toBe(0);
  });

  it('crontab: quotes paths with spaces and escapes %, which would end the command', () => {
    const job =
      crontabBlock(
        spec('0 6 * * *', { configPath: "/srv/ad sync/50% o'clock.yaml", workingDir: '/srv/ad sync' }),
      ).files[0]?.content ?? '';
    expect(job).toContain(`cd '/srv/ad sync' &&`);
    expect(job).toContain(`--config '/srv/ad sync/50\\% o'\\''clock.yaml'`);
  });

  it('every platform says where its secrets come from, and links nowhere that does not exist', () => {
    for (const artifacts of [
      crontabBlock(spec('0 6 * * *')),
      systemdUnits(spec('0 6 * * *')),
      windowsTask(spec('0 6 * * *')),
    ]) {
      const text = [...artifacts.notes, ...artifacts.files.map((f) => f.content)].join('\n');
      expect(text).not.toMatch(/see below|Documentation=https?:/);
      expect(
        artifacts.notes.some((n) =>
          n.startsWith('A scheduled run does not see the variables of your login shell: '),
        ),
      ).toBe(true);
    }
    expect(systemdUnits(spec('0 6 * * *')).notes.join('\n')).toContain('EnvironmentFile=');
  });

  it('systemd: a oneshot service with a hard time limit, and a persistent timer', () => {
    const [service, timer] = systemdUnits(
      spec('30 5 * * 1-5', { timezone: 'Europe/Paris', randomDelayMs: 300_000, workingDir: '/srv/ad sync' }),
    ).files;
    expect(service?.name).toBe('adsync.service');
    expect(service?.content).toContain('Type=oneshot');
    expect(service?.content).toContain('WorkingDirectory=/srv/ad sync\n'); // taken raw: quotes would be part of the path
    expect(service?.content).toContain(
      'ExecStart=/usr/bin/node /opt/adsync/bin/adsync.js push --config /etc/adsync/adsync.yaml --quiet',
    );
    expect(service?.content).toContain('TimeoutStartSec=2100');
    expect(timer?.content).toContain('OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 05:30:00 Europe/Paris');
    expect(timer?.content).toContain('RandomizedDelaySec=300');
    expect(timer?.content).toContain('Persistent=true');
    expect(timer?.content).toContain('Unit=adsync.service');
  });

  it('Windows: a task that runs logged off, in the config folder, one at a time, with a time limit', () => {
    const task = windowsTask(
      spec('0 6 * * *', {
        program: 'C:\\Program Files\\adsync\\adsync.exe',
        programArgs: [],
        configPath: 'C:\\ProgramData\\adsync\\adsync & co.yaml',
        workingDir: 'C:\\ProgramData\\adsync',
        user: 'CORP\\svc-adsync',
        randomDelayMs: 15 * 60_000,
      }),
      { encoding: 'UTF-16' },
    );
    const xml = task.files[0]?.content ?? '';
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(true);
    expect(xml).toContain('<LogonType>S4U</LogonType>');
    expect(xml).toContain('<UserId>CORP\\svc-adsync</UserId>');
    expect(xml).toContain('<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>');
    expect(xml).toContain('<ExecutionTimeLimit>PT35M</ExecutionTimeLimit>');
    expect(xml).toContain('<StartBoundary>2000-01-01T06:00:00</StartBoundary>');
    expect(xml).toContain('<RandomDelay>PT15M</RandomDelay>');
    expect(xml).toContain('<WorkingDirectory>C:\\ProgramData\\adsync</WorkingDirectory>');
    expect(xml).toContain('<Command>&quot;C:\\Program Files\\adsync\\adsync.exe&quot;</Command>');
    expect(xml).toContain(
      '<Arguments>push --config &quot;C:\\ProgramData\\adsync\\adsync &amp; co.yaml&quot; --quiet</Arguments>',
    );
    expectBalancedXml(xml);
    expect(task.installCommands[0]).toBe('schtasks /Create /TN "\\adsync\\adsync" /XML adsync.xml /F');
  });

  it('Windows: a gMSA logs on with the password Windows fetches, and the file is named as saved', () => {
    const task = windowsTask(
      spec('0 6 * * *', {
        program: 'C:\\adsync\\adsync-win-x64.exe',
        programArgs: [],
        configPath: 'C:\\ProgramData\\adsync\\adsync.yaml',
        workingDir: 'C:\\ProgramData\\adsync',
        user: 'CORP\\adsync-gmsa$',
      }),
      { fileName: 'adsync task.xml' },
    );
    const xml = task.files[0]?.content ?? '';
    expect(xml).toContain('<UserId>CORP\\adsync-gmsa$</UserId>');
    expect(xml).toContain('<LogonType>Password</LogonType>');
    expect(xml).not.toContain('S4U');
    expect(task.notes.join('\n')).toContain('Install-ADServiceAccount');
    expect(task.notes.join('\n')).toContain('0x4 another run held the lock');
    expect(task.installCommands[0]).toBe('schtasks /Create /TN "\\adsync\\adsync" /XML "adsync task.xml" /F');
  });

  it('encodes a file as its XML declaration says: UTF-16 little-endian with a byte order mark, or UTF-8', () => {
    const text = '<?xml version="1.0" encoding="UTF-16"?>\n<Task>Zoë</Task>\n';
    const utf16 = scheduleFileBytes(text);
    expect([...utf16.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(utf16.subarray(2).toString('utf16le')).toBe(text);
    const utf8Text = text.replace('UTF-16', 'UTF-8');
    expect(scheduleFileBytes(utf8Text)).toEqual(Buffer.from(utf8Text, 'utf8'));
    expect(scheduleFileBytes('0 6 * * * job\n')).toEqual(Buffer.from('0 6 * * * job\n', 'utf8'));
  });

  it('quotes Windows arguments the way CommandLineToArgvW reads them', () => {
    expect(windowsQuote('plain')).toBe('plain');
    expect(windowsQuote('with space')).toBe('"with space"');
    expect(windowsQuote('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(windowsQuote('say "hi"')).toBe('"say \\"hi\\""');
    expect(windowsQuote('')).toBe('""');
  });
});
