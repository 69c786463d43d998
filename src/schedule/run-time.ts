/**
 * A scheduled run's time as an operator reads it: in the zone the cron expression is written in
 * (schedule.timezone, else this machine's, which follows TZ), with the zone's name, and in UTC
 * beside it: `2026-12-08 06:00 CET (05:00 UTC)`.
 */

/** One instant's date, time and zone name in a zone. */
interface ZonedTime {
  date: string;
  time: string;
  zone: string;
}

/**
 * The zone's short name: an abbreviation where English has one (`EST` in American English,
 * `CET` in British), else its offset (`UTC+5:30`).
 */
function zoneName(instant: Date, timeZone: string): string {
  const names = ['en-US', 'en-GB'].map(
    (locale) =>
      new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
        .formatToParts(instant)
        .find((p) => p.type === 'timeZoneName')?.value ?? '',
  );
  const named = names.find((n) => n !== '' && !/^(GMT|UTC)[+\-\u2212]/.test(n));
  return named ?? (names[0] ?? '').replace(/^GMT/, 'UTC');
}

function zoned(instant: Date, timeZone: string): ZonedTime {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  const seconds = part('second');
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    time: `${part('hour')}:${part('minute')}${seconds === '00' ? '' : `:${seconds}`}`,
    zone: timeZone === 'UTC' ? 'UTC' : zoneName(instant, timeZone),
  };
}

/**
 * A run's time in the schedule's zone with its name, then this machine's zone when it differs,
 * then UTC: `2026-12-08 06:00 EST (12:00 CET, 11:00 UTC)`; the date is repeated where it differs.
 * @param iso the instant (as the status file keeps it)
 * @param timezone schedule.timezone, if set
 * @param localZone this machine's zone (default: the one TZ or the system sets)
 */
export function describeRunTime(
  iso: string,
  timezone: string | undefined,
  localZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone,
): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const zones = [...new Set([timezone ?? localZone, localZone, 'UTC'])];
  let shown: ZonedTime[];
  try {
    shown = zones.map((zone) => zoned(instant, zone));
  } catch {
    return iso; // a zone this Node does not know (its ICU data is older than the name)
  }
  // Two names of one zone (Etc/UTC and UTC) would show the same time twice.
  const key = (t: ZonedTime): string => `${t.date} ${t.time} ${t.zone}`;
  const [first, ...others] = shown.filter((t, i) => shown.findIndex((u) => key(u) === key(t)) === i);
  if (first === undefined) return iso;
  const head = `${first.date} ${first.time} ${first.zone}`;
  if (others.length === 0) return head;
  const rest = others.map((t) => `${t.date === first.date ? '' : `${t.date} `}${t.time} ${t.zone}`);
  return `${head} (${rest.join(', ')})`;
}
