import type { GuardTrip } from '../errors.js';
import type { Plan, PlannedRename } from './planner.js';

/** Limits and approvals for {@link checkGuards}. */
export interface GuardOptions {
  /** Archive limit (count). */
  maxArchive: number;
  /** Archive limit (percent of the last push). */
  maxArchivePercent: number;
  /**
   * Archives that never trip the percent limit, per location and overall (default 0: the percent
   * always applies); the count limit still does. Lets a small site lose a person or two a night.
   */
  archiveFloor?: number;
  /** Rename limit (count): renames are archives plus creates at the vendor. */
  maxRename: number;
  /** Rename limit (percent of the last push). */
  maxRenamePercent: number;
  /** Renames that never trip the rename percent limit (default 0), as {@link archiveFloor}. */
  renameFloor?: number;
  /** Emails that must be present. */
  mustInclude: readonly string[];
  /** `--allow-archive N`: approve up to N archives in all. */
  allowArchive: number | undefined;
  /** `--allow-rename N`: approve up to N renames in all. */
  allowRename?: number | undefined;
  /** `--force`: send whatever the plan is. */
  force: boolean;
}

/** The guards, by name. */
export type GuardName =
  | 'empty-export'
  | 'empty-location'
  | 'archive-limit'
  | 'archive-percent'
  | 'archive-displaced'
  | 'rename-limit'
  | 'rename-percent'
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

/** This run's facts, as {@link checkGuards} takes them. */
export interface CurrentFacts {
  /** Emails in this run's rows (lower case). */
  emails: ReadonlySet<string>;
  /** Entries returned per search. */
  searches: Readonly<Record<string, number>>;
  /** Rows per location from `extraContacts:` files (not the directory's). */
  extras?: Readonly<Record<string, number>>;
}

const label = (slug: string): string => (slug ? `location ${slug}` : 'the account (all locations)');

/** Contacts in the last push, over all locations. */
const previousTotal = (plan: Plan): number =>
  Object.values(plan.locations).reduce((n, l) => n + l.previous, 0);

/**
 * An export, or a location, the directory gave no rows for though the last push had some. These
 * are about the directory read: a contractor's row from a file must not make an emptied location
 * look read (it would leave only the archive guards, which --allow-archive approves, where an
 * emptied location needs --force).
 */
function emptyTrips(plan: Plan, current: CurrentFacts): Trip[] {
  const trips: Trip[] = [];
  const extras = (slug: string): number => current.extras?.[slug] ?? 0;
  const locations = Object.entries(plan.locations);
  const fromDirectory = locations.reduce((n, [slug, l]) => n + l.current - extras(slug), 0);
  const fromFiles = locations.reduce((n, [slug]) => n + extras(slug), 0);
  const before = previousTotal(plan);
  // A push of files only is what it is when the last push held no more than the files do now.
  if (fromDirectory === 0 && (fromFiles === 0 || before > fromFiles)) {
    trips.push({
      guard: 'empty-export',
      message:
        fromFiles === 0
          ? 'the export has no rows at all: the vendor would archive every contact'
          : `the directory gave no rows at all (only the ${fromFiles} of the extraContacts files): the vendor would archive every other contact`,
      previous: before,
    });
  }
  for (const [slug, l] of locations) {
    const files = extras(slug);
    if (fromDirectory > 0 && l.current - files === 0 && l.previous > files) {
      trips.push({
        guard: 'empty-location',
        message:
          files === 0
            ? `${label(slug)} has no rows now but had ${l.previous} in the last push`
            : `${label(slug)} has no rows from the directory now (only ${files} from extraContacts files) but had ${l.previous} in the last push`,
        location: slug,
        previous: l.previous,
      });
    }
  }
  return trips;
}

/** Searches that returned nothing this time but entries in the last push. */
function incompleteReadTrips(
  previous: { readonly searches: Readonly<Record<string, number>> },
  current: CurrentFacts,
): Trip[] {
  return Object.entries(previous.searches)
    .filter(([key, before]) => before > 0 && current.searches[key] === 0)
    .map(([key, before]) => ({
      guard: 'incomplete-read',
      message: `the search ${key} returned nothing, but ${before} entries last time (renamed OU, filter change or lost read rights?)`,
      // The search key starts with its location's slug (directory/ldap/locations.ts).
      location: key.split(' | ')[0] ?? '',
      search: key,
      previous: before,
    }));
}

/**
 * The archive or rename limit of one scope (a location, or all locations when `slug` is
 * undefined), or undefined when the scope is within it.
 */
function limitTrip(
  plan: Plan,
  kind: 'archive' | 'rename',
  options: GuardOptions,
  slug: string | undefined,
  l: { archive: number; rename: number; previous: number },
): Trip | undefined {
  const count = l[kind];
  if (count === 0) return undefined;
  const percent = l.previous > 0 ? (count / l.previous) * 100 : 100;
  const max = kind === 'archive' ? options.maxArchive : options.maxRename;
  const maxPercent = kind === 'archive' ? options.maxArchivePercent : options.maxRenamePercent;
  const floor = (kind === 'archive' ? options.archiveFloor : options.renameFloor) ?? 0;
  const overCount = count > max;
  if (!overCount && (percent <= maxPercent || count <= floor)) return undefined;
  const scope = slug === undefined ? 'all locations' : label(slug);
  const example = renameExample(plan.renames, slug);
  // How many of the archives are renames: a domain rebrand is not a mass leaving.
  const tail =
    kind === 'rename'
      ? `${example && `; e.g. ${example}`} (for each, the vendor archives or disables the old record and creates a new one)`
      : l.rename > 0
        ? `; ${l.rename} of them ${l.rename === 1 ? 'is a rename' : 'are renames'} (the same people with a new email or SMS phone)${example && `, e.g. ${example}`}`
        : '';
  return {
    guard: `${kind}-${overCount ? 'limit' : 'percent'}`,
    message: `would ${kind} ${count} of ${l.previous} contact${l.previous === 1 ? '' : 's'} (${Math.round(percent)}%) in ${scope}; limit ${overCount ? max : `${maxPercent}%${floor > 0 ? ` (counted above ${floor} ${kind}s)` : ''}`}${tail}`,
    ...(slug === undefined ? {} : { location: slug }),
    [kind]: count,
    ...(kind === 'archive' && l.rename > 0 ? { rename: l.rename } : {}),
    total: l.previous,
    percent: Math.round(percent * 10) / 10,
    limit: overCount ? max : maxPercent,
  };
}

/** The archive or rename limits, per location and (with several locations) over all, unless approved. */
function limitTrips(plan: Plan, kind: 'archive' | 'rename', options: GuardOptions): Trip[] {
  const allowed = kind === 'archive' ? options.allowArchive : options.allowRename;
  if (allowed !== undefined && plan.totals[kind] <= allowed) return [];
  const scopes: [string | undefined, { archive: number; rename: number; previous: number }][] =
    Object.entries(plan.locations);
  if (scopes.length > 1) scopes.push([undefined, { ...plan.totals, previous: previousTotal(plan) }]);
  return scopes.flatMap(([slug, l]) => limitTrip(plan, kind, options, slug, l) ?? []);
}

/**
 * The guards, checked after the plan and before any byte is uploaded. Pure.
 * @param plan the plan
 * @param previous the last good push
 * @param current this run's facts: emails present and entries per search
 * @param current.emails emails in this run's rows (lower case)
 * @param current.searches entries returned per search
 * @param current.extras rows per location from `extraContacts:` files (not the directory's)
 * @param options limits and approvals
 */
export function checkGuards(
  plan: Plan,
  previous: { readonly searches: Readonly<Record<string, number>> } | undefined,
  current: CurrentFacts,
  options: GuardOptions,
): Trip[] {
  if (options.force) return [];
  const trips = emptyTrips(plan, current);
  if (previous) {
    trips.push(
      ...incompleteReadTrips(previous, current),
      ...limitTrips(plan, 'archive', options),
      ...limitTrips(plan, 'rename', options),
      ...displacedTrips(plan, options.allowArchive),
    );
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
 * Archives of contacts whose row lost its only key to another person's row holding the same value
 * that it did not hold in the last push either ({@link Plan.displaced}): someone else's edit would
 * take them off the kiosk. However few, they stop the push, so no such archive hides under the
 * limits; `--allow-archive` approves them.
 */
function displacedTrips(plan: Plan, allowArchive: number | undefined): Trip[] {
  if (plan.displaced === undefined) return [];
  if (allowArchive !== undefined && plan.totals.archive <= allowArchive) return [];
  return Object.entries(plan.displaced).map(([slug, count]) => ({
    guard: 'archive-displaced',
    message: `would archive ${count} contact${count === 1 ? '' : 's'} in ${label(slug)} whose only key (Email, SMS Phone…) another person's row now holds too, and neither held it in the last push: the vendor would merge them, so the row is rejected (see the rejects file); nobody is archived for someone else's edit without approval`,
    location: slug,
    archive: count,
  }));
}

/** "old → new" of the plan's first rename (of a location when given), or ''. */
function renameExample(renames: readonly PlannedRename[], slug: string | undefined): string {
  const r = renames.find((x) => slug === undefined || x.location === slug);
  return r ? `${r.from} → ${r.to}` : '';
}

/** The guards an approval flag (not only --force) can approve, by flag. */
const APPROVED_BY = {
  '--allow-archive': ['archive-limit', 'archive-percent', 'archive-displaced'],
  '--allow-rename': ['rename-limit', 'rename-percent'],
} as const satisfies Record<string, readonly GuardName[]>;

/**
 * How to approve the stop, naming exactly the flags that approve every trip: `--allow-archive N`
 * approves archive limits, `--allow-rename N` rename limits (a flag this run already gave is
 * named again: the next run needs it too); an empty export or location, an incomplete read and
 * a missing mustInclude contact are sent only with `--force`. Pure.
 * @param trips the guards that tripped
 * @param counts the archives and renames the plan would make (N for the flags)
 * @param counts.archive archives
 * @param counts.rename renames
 * @param given the approvals this run was given
 * @param given.allowArchive `--allow-archive`, if given
 * @param given.allowRename `--allow-rename`, if given
 */
export function approvalHint(
  trips: readonly Trip[],
  counts: { archive: number; rename: number },
  given: { allowArchive?: number | undefined; allowRename?: number | undefined } = {},
): string {
  const approvable = new Set<string>([...APPROVED_BY['--allow-archive'], ...APPROVED_BY['--allow-rename']]);
  const forceOnly = [...new Set(trips.filter((t) => !approvable.has(t.guard)).map((t) => t.guard))];
  const tripped = (flag: keyof typeof APPROVED_BY): boolean =>
    trips.some((t) => (APPROVED_BY[flag] as readonly string[]).includes(t.guard));
  const archives = tripped('--allow-archive');
  const renames = tripped('--allow-rename');
  if (forceOnly.length === 0) {
    const flags = [
      ...(archives || (given.allowArchive !== undefined && counts.archive > 0)
        ? [`--allow-archive ${counts.archive}`]
        : []),
      ...(renames || (given.allowRename !== undefined && counts.rename > 0)
        ? [`--allow-rename ${counts.rename}`]
        : []),
    ];
    const what = renames
      ? archives
        ? 'the archives and renames are'
        : 'the renames are'
      : 'the archives are';
    return `If ${what} intended, approve them for one run with ${flags.join(' ')}; send it as it is with --force.`;
  }
  return `${renames ? '--allow-archive and --allow-rename do' : '--allow-archive does'} not approve ${forceOnly.join(', ')}: if the export is right as it is, send it with --force (this run only).`;
}
