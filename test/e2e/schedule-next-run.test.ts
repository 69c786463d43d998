// `adsync schedule run` shows its next run as the operator reads it: in the zone schedule.cron
// is written in (schedule.timezone, else the machine's, which TZ sets), with the zone's name, and
// in UTC; the status file keeps the instant in UTC for programs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { startAdsync } from '../harness/cli.js';
import { tempDir, writeConfig } from '../harness/files.js';

/** Start the scheduler, wait for its first line about the next run, then stop it. */
async function firstNextRun(
  schedule: Record<string, unknown>,
  tz: string,
): Promise<{ line: string; status: string }> {
  const cwd = await tempDir();
  await writeConfig(cwd, {
    directory: { kind: 'ldap', url: 'ldap://127.0.0.1:1' },
    locations: [{ slug: 'hq', ous: ['ou=hq,dc=example,dc=com'] }],
    target: { profile: 'receptionist' },
    schedule,
  });
  const scheduler = startAdsync(['schedule', 'run'], { cwd, env: { TZ: tz } });
  let line: string | undefined;
  try {
    const end = Date.now() + 60_000;
    // Polls the output the process has written so far: the line appears once it has started.
    while (line === undefined && Date.now() < end) {
      line = /scheduler started; next run [^\n]*/.exec(scheduler.output())?.[0];
      if (line === undefined) await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    scheduler.kill('SIGTERM');
  }
  const ended = await scheduler.done;
  expect(ended.code, ended.stderr).toBe(0);
  const status = await readFile(join(cwd, 'adsync-state', 'schedule-status.json'), 'utf8');
  return { line: line ?? `no next-run line in: ${ended.stderr}`, status };
}

describe.skipIf(process.platform === 'win32')('schedule run: the next run in local time', () => {
  it("in the machine's zone (TZ) with its name, and in UTC", async () => {
    const { line } = await firstNextRun({ cron: '0 6 * * *' }, 'Europe/Paris');
    expect(line).toMatch(
      /^scheduler started; next run \d{4}-\d\d-\d\d 06:00 CES?T \((?:\d{4}-\d\d-\d\d )?0[45]:00 UTC\)$/,
    );
  });

  it("in schedule.timezone when it is set, then the machine's zone and UTC", async () => {
    const { line, status } = await firstNextRun(
      { cron: '0 6 * * *', timezone: 'America/Toronto' },
      'Europe/Paris',
    );
    expect(line).toMatch(
      /^scheduler started; next run \d{4}-\d\d-\d\d 06:00 E[SD]T \(1[12]:00 CES?T, 1[01]:00 UTC\)$/,
    );
    // The status file is for programs: it keeps the instant (stopped now, so no next run).
    expect(JSON.parse(status)).toMatchObject({
      state: 'stopped',
      nextRun: null,
      timezone: 'America/Toronto',
    });
  });
});
