import { spawnSync } from 'node:child_process';

import fc from 'fast-check';
import { createTask } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ConfigError } from '../../src/errors.js';
import {
  parseCron,
  toOnCalendar,
  toTaskTriggers,
  type TaskTrigger,
} from '../../src/schedule/cron-convert.js';
import { propertyRuns } from '../harness/property.js';
import { SYSTEMD_ANALYZE, systemTool } from '../harness/tools.js';

/** Every schedule is compared from this instant (no generated time is at second 59). */
const FROM = new Date('2027-03-14T01:59:59Z');
const RUNS = 6;
const DAY = 86_400_000;

/** A cron field: `*`, a step, a value, a list, a range, a stepped range. */
const field = (min: number, max: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant('*'),
    fc.integer({ min: 1, max: Math.min(max - min, 30) }).map((s) => `*/${s}`),
    fc.integer({ min, max }).map(String),
    fc.uniqueArray(fc.integer({ min, max }), { minLength: 2, maxLength: 4 }).map((v) => v.join(',')),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.option(fc.integer({ min: 2, max: 5 })))
      .filter(([a, b]) => a < b)
      .map(([a, b, s]) => `${a}-${b}${s === null ? '' : `/${s}`}`),
  );

/** Five fields (or six, seconds first); days of the month up to 28, or L, so every month has them. */
const expression = fc
  .tuple(
    fc.option(fc.constantFrom('0', '15')),
    field(0, 59),
    field(0, 23),
    fc.oneof(field(1, 28), fc.constant('L')),
    field(1, 12),
    field(0, 7),
  )
  .map(([second, ...rest]) => [...(second === null ? [] : [second]), ...rest].join(' '));

/** node-cron's next runs (what `adsync schedule run` does) from {@link FROM}, in UTC. */
function cronNext(cron: string): string[] {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(FROM);
  try {
    return createTask(cron, () => undefined, { timezone: 'UTC' })
      .getNextRuns(RUNS)
      .map((d) => d.toISOString());
  } finally {
    vi.useRealTimers();
  }
}

/** systemd's next elapses of an OnCalendar value from {@link FROM}, in UTC. */
function systemdNext(onCalendar: string): string[] {
  const base = FROM.toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const out = spawnSync(
    'systemd-analyze',
    ['calendar', `--base-time=${base}`, `--iterations=${RUNS}`, onCalendar],
    { encoding: 'utf8', env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } },
  );
  expect(out.status, out.stderr).toBe(0);
  return [
    ...out.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g),
  ].map((m) => new Date(`${m[1] ?? ''}T${m[2] ?? ''}Z`).toISOString());
}

/** English names, as Task Scheduler's XML spells them (from Intl, not from the code under test). */
const NAMES = {
  weekday: new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: 'UTC' }),
  month: new Intl.DateTimeFormat('en-US', { month: 'long', timeZone: 'UTC' }),
};
const name = (day: Date, what: keyof typeof NAMES): string => NAMES[what].format(day);

/** Whether Task Scheduler runs a trigger's day rule on this (UTC) day. */
function dayMatches(days: TaskTrigger['days'], day: Date): boolean {
  const weekday = name(day, 'weekday');
  const month = name(day, 'month');
  const last = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
  switch (days.kind) {
    case 'daily':
      return true;
    case 'weekly':
      return days.days.includes(weekday);
    case 'monthly':
      return (
        days.months.includes(month) &&
        days.days.some((d) => d === day.getUTCDate() || (d === 'Last' && day.getUTCDate() === last))
      );
    case 'monthlyDayOfWeek':
      return days.months.includes(month) && days.days.includes(weekday);
  }
}

/**
 * When Task Scheduler starts these triggers after {@link FROM}, read as its XML says: each
 * trigger starts at its time on the days of its rule and, with a repetition, again every
 * interval for the rest of that day (Duration P1D).
 */
function taskNext(triggers: readonly TaskTrigger[]): string[] {
  const runs = new Set<number>();
  const first = Date.UTC(FROM.getUTCFullYear(), FROM.getUTCMonth(), FROM.getUTCDate());
  for (let day = first; runs.size < RUNS * 4 && day < first + 10 * 366 * DAY; day += DAY) {
    for (const t of triggers) {
      if (!dayMatches(t.days, new Date(day))) continue;
      const [h = 0, m = 0, s = 0] = t.time.split(':').map(Number);
      const step = /^PT(\d+)([MH])$/.exec(t.repeatEvery ?? '');
      const every = step ? Number(step[1]) * (step[2] === 'H' ? 3_600_000 : 60_000) : DAY;
      for (let at = day + ((h * 60 + m) * 60 + s) * 1000; at < day + DAY; at += every)
        if (at > FROM.getTime()) runs.add(at);
    }
  }
  return [...runs]
    .sort((a, b) => a - b)
    .slice(0, RUNS)
    .map((t) => new Date(t).toISOString());
}

/** The value a converter gives, or undefined for a form it refuses (with a ConfigError). */
function converted<T>(convert: () => T): T | undefined {
  try {
    return convert();
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cron conversions fire when node-cron does (fast-check)', () => {
  it('Task Scheduler triggers start exactly at node-cron’s next runs, or the form is refused', () => {
    fc.assert(
      fc.property(expression, (cron) => {
        const triggers = converted(() => toTaskTriggers(parseCron(cron)));
        fc.pre(triggers !== undefined);
        expect(taskNext(triggers), `${cron} → ${JSON.stringify(triggers)}`).toEqual(cronNext(cron));
      }),
      propertyRuns(100),
    );
  });

  it.runIf(systemTool('systemd-analyze', ['--version'], SYSTEMD_ANALYZE))(
    'systemd’s OnCalendar elapses exactly at node-cron’s next runs (systemd-analyze)',
    () => {
      fc.assert(
        fc.property(expression, (cron) => {
          const onCalendar = converted(() => toOnCalendar(parseCron(cron), undefined));
          fc.pre(onCalendar !== undefined);
          expect(systemdNext(onCalendar), `${cron} → ${onCalendar}`).toEqual(cronNext(cron));
        }),
        propertyRuns(60),
      );
    },
  );
});
