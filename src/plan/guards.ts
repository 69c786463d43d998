import type { GuardTrip } from '../errors.js';
import type { Plan } from './planner.js';

/** Limits and approvals for {@link checkGuards}. */
export interface GuardOptions {
  /** Archive limit (count). */
  maxArchive: number;
  /** Archive limit (percent of the last push). */
  maxArchivePercent: number;
  /** Emails that must be present. */
  mustInclude: readonly string[];
  /** `--allow-archive N`: approve up to N archives in all. */
  allowArchive: number | undefined;
  /** `--force`: send whatever the plan is. */
  force: boolean;
}

/** The guards, by name. */
export type GuardName =
  | 'empty-export'
  | 'empty-location'
  | 'archive-limit'
  | 'archive-percent'
  | 'incomplete-read'
  | 'must-include';

/**
 * A guard that stops the run, with its numbers, so a report or a script can tell by how much
 * (only the fields that apply to the guard are set; see {@link GuardTrip}).
 */
export interface Trip extends GuardTrip {
  /** Which guard. */
  guard: GuardName;
}

/**
 * The guards, checked after the plan and before any byte is uploaded. Pure.
 * @param plan the plan
 * @param previous the last good push
 * @param current this run's facts: emails present and entries per search
 * @param current.emails emails in this run's rows (lower case)
 * @param current.searches entries returned per search
 * @param options limits and approvals
 */
export function checkGuards(
  plan: Plan,
  previous: { readonly searches: Readonly<Record<string, number>> } | undefined,
  current: { emails: ReadonlySet<string>; searches: Readonly<Record<string, number>> },
  options: GuardOptions,
): Trip[] {
  if (options.force) return [];
  const trips: Trip[] = [];
  const total = Object.values(plan.locations).reduce((n, l) => n + l.current, 0);
  const label = (slug: string): string => (slug ? `location ${slug}` : 'the account (all locations)');
  const previousTotal = Object.values(plan.locations).reduce((n, l) => n + l.previous, 0);
  if (total === 0) {
    trips.push({
      guard: 'empty-export',
      message: 'the export has no rows at all: the vendor would archive every contact',
      previous: previousTotal,
    });
  }
  for (const [slug, l] of Object.entries(plan.locations)) {
    if (total > 0 && l.current === 0 && l.previous > 0) {
      trips.push({
        guard: 'empty-location',
        message: `${label(slug)} has no rows now but had ${l.previous} in the last push`,
        location: slug,
        previous: l.previous,
      });
    }
  }
  if (previous) {
    for (const [key, before] of Object.entries(previous.searches)) {
      if (before > 0 && current.searches[key] === 0) {
        trips.push({
          guard: 'incomplete-read',
          message: `the search ${key} returned nothing, but ${before} entries last time (renamed OU, filter change or lost read rights?)`,
          // The search key starts with its location's slug (pipeline/searches.ts).
          location: key.split(' | ')[0] ?? '',
          search: key,
          previous: before,
        });
      }
    }
    const approved = options.allowArchive !== undefined && plan.totals.archive <= options.allowArchive;
    if (!approved) {
      const check = (slug: string | undefined, archive: number, previousCount: number): void => {
        if (archive === 0) return;
        const percent = previousCount > 0 ? (archive / previousCount) * 100 : 100;
        const scope = slug === undefined ? 'all locations' : label(slug);
        const numbers = {
          ...(slug === undefined ? {} : { location: slug }),
          archive,
          total: previousCount,
          percent: Math.round(percent * 10) / 10,
        };
        const pct = `${Math.round(percent)}%`;
        if (archive > options.maxArchive) {
          trips.push({
            guard: 'archive-limit',
            message: `would archive ${archive} of ${previousCount} contact${previousCount === 1 ? '' : 's'} (${pct}) in ${scope}; limit ${options.maxArchive}`,
            ...numbers,
            limit: options.maxArchive,
          });
        } else if (percent > options.maxArchivePercent) {
          trips.push({
            guard: 'archive-percent',
            message: `would archive ${archive} of ${previousCount} contact${previousCount === 1 ? '' : 's'} (${pct}) in ${scope}; limit ${options.maxArchivePercent}%`,
            ...numbers,
            limit: options.maxArchivePercent,
          });
        }
      };
      for (const [slug, l] of Object.entries(plan.locations)) check(slug, l.archive, l.previous);
      if (Object.keys(plan.locations).length > 1) check(undefined, plan.totals.archive, previousTotal);
    }
  }
  const missing = options.mustInclude.filter((e) => !current.emails.has(e));
  if (missing.length > 0) {
    trips.push({
      guard: 'must-include',
      message: `safety.mustInclude contacts are missing from the export: ${missing.join(', ')}`,
      missing,
    });
  }
  // Empty exports and empty locations are refused even with --allow-archive: only --force sends them.
  return trips;
}

/**
 * How to approve the stop, naming only a flag that approves every trip: `--allow-archive N`
 * approves archive limits alone; an empty export or location, an incomplete read and a missing
 * mustInclude contact are sent only with `--force`. Pure.
 * @param trips the guards that tripped
 * @param archives the archives the plan would make (N for --allow-archive)
 */
export function approvalHint(trips: readonly Trip[], archives: number): string {
  const forceOnly = [
    ...new Set(
      trips.filter((t) => t.guard !== 'archive-limit' && t.guard !== 'archive-percent').map((t) => t.guard),
    ),
  ];
  if (forceOnly.length === 0) {
    return `If the archives are intended, approve them for one run with --allow-archive ${archives}; send it as it is with --force.`;
  }
  return `--allow-archive does not approve ${forceOnly.join(', ')}: if the export is right as it is, send it with --force (this run only).`;
}
