import { validateDetailed, type ParsedFields } from 'node-cron';

import { ConfigError } from '../errors.js';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const FULL_DAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** A cron expression taken apart: node-cron's expanded values, and which fields were restricted. */
export interface CronParts {
  /** The expression as written. */
  expression: string;
  second: number[];
  minute: number[];
  hour: number[];
  /** Days of the month; 'L' is the last day. */
  dayOfMonth: (number | 'L')[];
  month: number[];
  /** 0 = Sunday. */
  dayOfWeek: number[];
  /** Day-of-month field was not `*`. */
  domRestricted: boolean;
  /** Day-of-week field was not `*`. */
  dowRestricted: boolean;
  /** Month field was not `*`. */
  monthRestricted: boolean;
}

/**
 * The error for a form a scheduler cannot express.
 * @param expression the cron expression
 * @param why what it cannot do
 * @param platform which scheduler
 */
export function unsupported(expression: string, why: string, platform: string): ConfigError {
  return new ConfigError(
    'CONFIG_INVALID',
    `schedule.cron "${expression}" cannot be expressed for ${platform}: ${why}`,
    {
      hint: 'Use the common forms: "M H * * *" (daily), "M H * * 1-5" (weekdays), "M H 1,15 * *" (days of the month), "*/15 * * * *" (every 15 minutes), with lists and ranges.',
    },
  );
}

/**
 * Parse a cron expression the way `adsync schedule run` (node-cron) reads it.
 * @param expression five fields (or six, with seconds first)
 * @throws {ConfigError} when node-cron does not accept it
 */
export function parseCron(expression: string): CronParts {
  const checked = validateDetailed(expression);
  const fields: ParsedFields | undefined = checked.fields;
  if (!checked.valid || !fields) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `schedule.cron "${expression}" is not a valid cron expression: ${checked.errors.map((e) => e.message).join('; ')}`,
      { hint: 'Use minute hour day-of-month month day-of-week, e.g. "0 6 * * *" for 06:00 every day.' },
    );
  }
  // node-cron also knows `1#2` (second Monday), `5L`, `L-3` and `15W`; the platform schedulers
  // cannot say those, so they are refused here rather than turned into something else.
  const special = [...fields.dayOfMonth, ...fields.dayOfWeek].find(
    (v) => v !== 'L' && !(typeof v === 'number' || /^\d+$/.test(v)),
  );
  if (special !== undefined) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `schedule.cron "${expression}": "${String(special)}" (nth weekday, last or nearest weekday) cannot be installed in Task Scheduler, cron or systemd`,
      { hint: 'Use plain numbers, lists and ranges (and L for the last day of the month).' },
    );
  }
  const dayOfWeek = [...new Set(fields.dayOfWeek.map((d) => Number(d) % 7))].sort((a, b) => a - b);
  const dayOfMonth = fields.dayOfMonth.map((d) => (d === 'L' ? 'L' : Number(d)));
  return {
    expression,
    second: fields.second,
    minute: fields.minute,
    hour: fields.hour,
    dayOfMonth,
    month: fields.month,
    dayOfWeek,
    // From the expanded values, so `@daily`, `*/1` and `1-31` count as unrestricted.
    domRestricted: dayOfMonth.length !== 31,
    dowRestricted: dayOfWeek.length !== 7,
    monthRestricted: fields.month.length !== 12,
  };
}

/** `1,2,3,5` → `1..3,5` (systemd's range syntax), zero-padded to `width`. */
function compact(values: readonly number[], width = 1): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const pad = (n: number): string => String(n).padStart(width, '0');
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] ?? 0) === (sorted[j] ?? 0) + 1) j++;
    const a = sorted[i] ?? 0;
    const b = sorted[j] ?? 0;
    out.push(
      j - i >= 2
        ? `${pad(a)}..${pad(b)}`
        : sorted
            .slice(i, j + 1)
            .map(pad)
            .join(','),
    );
    i = j + 1;
  }
  return out.join(',');
}

/**
 * The systemd `OnCalendar=` value for a cron expression (and time zone). A line that restricts
 * both day-of-month and day-of-week is refused, as for cron: systemd would need both to match
 * (as node-cron does), where the cron the line reads like runs on either, and an admin who wrote
 * it as a cron line would get other days than meant.
 * @param cron the parsed expression
 * @param timezone IANA zone appended to the value (systemd 235+), or undefined for local time
 */
export function toOnCalendar(cron: CronParts, timezone: string | undefined): string {
  if (cron.domRestricted && cron.dowRestricted)
    throw unsupported(
      cron.expression,
      'cron runs a job when the day of the month OR the day of the week matches, systemd (and adsync schedule run) only when both do',
      'systemd',
    );
  if (cron.dayOfMonth.includes('L') && cron.dayOfMonth.length > 1)
    throw unsupported(cron.expression, 'L mixed with other days', 'systemd');
  const dow = cron.dowRestricted ? `${cron.dayOfWeek.map((d) => DAY_NAMES[d] ?? '').join(',')} ` : '';
  const month = cron.monthRestricted ? compact(cron.month, 2) : '*';
  // systemd writes "last day of the month" as `~01` in place of `-DD`.
  const dom = !cron.domRestricted
    ? '-*'
    : cron.dayOfMonth[0] === 'L'
      ? '~01'
      : `-${compact(
          cron.dayOfMonth.filter((d): d is number => d !== 'L'),
          2,
        )}`;
  const all = (values: number[], size: number): boolean => values.length === size;
  const hour = all(cron.hour, 24) ? '*' : compact(cron.hour, 2);
  const minute = all(cron.minute, 60) ? '*' : compact(cron.minute, 2);
  const second = compact(cron.second, 2);
  return `${dow}*-${month}${dom} ${hour}:${minute}:${second}${timezone ? ` ${timezone}` : ''}`;
}

/** One Task Scheduler calendar trigger. */
export interface TaskTrigger {
  /** Local start time of day, HH:MM:SS. */
  time: string;
  /** Repeat every this long within the day (ISO 8601 duration), if it repeats. */
  repeatEvery?: string | undefined;
  /** The day rule, as Task Scheduler XML elements. */
  days:
    | { kind: 'daily' }
    | { kind: 'weekly'; days: string[] }
    | { kind: 'monthly'; days: (number | 'Last')[]; months: string[] }
    | { kind: 'monthlyDayOfWeek'; days: string[]; months: string[] };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** A step that covers the whole range evenly from 0 (e.g. every 15 of 60), or undefined. */
function evenStep(values: readonly number[], size: number): number | undefined {
  if (values.length < 2 || values[0] !== 0) return undefined;
  const step = values[1] ?? 0;
  if (step <= 0 || size % step !== 0 || values.length !== size / step) return undefined;
  return values.every((v, i) => v === i * step) ? step : undefined;
}

/**
 * Task Scheduler triggers for a cron expression: one calendar trigger per time of day, or one
 * repeating trigger for "every N minutes/hours".
 * @param cron the parsed expression
 * @throws {ConfigError} for forms Task Scheduler cannot express
 */
export function toTaskTriggers(cron: CronParts): TaskTrigger[] {
  if (cron.domRestricted && cron.dowRestricted)
    throw unsupported(
      cron.expression,
      'both day-of-month and day-of-week are restricted (a trigger has one or the other)',
      'Task Scheduler',
    );
  if (cron.second.length !== 1)
    throw unsupported(cron.expression, 'more than one second per minute', 'Task Scheduler');
  const months = cron.month.map((m) => MONTH_NAMES[m - 1] ?? '');
  const weekdays = cron.dayOfWeek.map((d) => FULL_DAY_NAMES[d] ?? '');
  const days: TaskTrigger['days'] = cron.domRestricted
    ? { kind: 'monthly', days: cron.dayOfMonth.map((d) => (d === 'L' ? 'Last' : d)), months }
    : cron.monthRestricted
      ? { kind: 'monthlyDayOfWeek', days: weekdays, months }
      : cron.dowRestricted
        ? { kind: 'weekly', days: weekdays }
        : { kind: 'daily' };
  const second = two(cron.second[0] ?? 0);
  const minuteStep = cron.hour.length === 24 ? evenStep(cron.minute, 60) : undefined;
  if (minuteStep !== undefined) return [{ time: `00:00:${second}`, repeatEvery: `PT${minuteStep}M`, days }];
  const hourStep = evenStep(cron.hour, 24);
  if (hourStep !== undefined) {
    return cron.minute.map((m) => ({ time: `00:${two(m)}:${second}`, repeatEvery: `PT${hourStep}H`, days }));
  }
  const times = cron.hour.flatMap((h) => cron.minute.map((m) => `${two(h)}:${two(m)}:${second}`));
  if (times.length > 48)
    throw unsupported(
      cron.expression,
      `${times.length} start times a day (at most 48 separate triggers)`,
      'Task Scheduler',
    );
  return times.map((time) => ({ time, days }));
}
