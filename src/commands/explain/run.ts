import type { ResolvedConfig } from '../../config/types.js';
import { createDirectorySource } from '../../directory/source.js';
import type { ConnectionInfo, SearchCheck, SourceEntry } from '../../directory/types.js';
import { UsageError } from '../../errors.js';
import { mapEntry } from '../../mapping/columns.js';
import { compareText } from '../../mapping/order.js';
import { columnOrigin } from '../../mapping/origin.js';
import type { ExportEvent, ExportWarning } from '../../pipeline/export.js';
import { targetStatePaths } from '../../pipeline/target-state.js';
import { displayName, identityOf, type StoredContact } from '../../plan/identity.js';
import type { ColumnChange } from '../../plan/planner.js';
import { openLastPush, type PreviousPush } from '../../state/baseline.js';
import { dnKey, exportFates, lastReceived, type Fates, type RowFate } from './fate.js';
import { findExtraContacts, findPeople, type ListedContact } from './find.js';
import { quoteValue } from '../../util/quote-value.js';

/** One cell of a row: the column, its value and where the value came from. */
export interface ExplainedCell {
  column: string;
  value: string;
  /** The attribute (or template, constant, location) it came from. */
  from?: string;
}

/** A contact of the last good push: what the vendor last received. */
export interface ReceivedContact {
  /** Its location. */
  location: string;
  /** Its row, column by column. */
  row: ExplainedCell[];
  /** For a contact of an `extraContacts:` file: its "FILE line N" then. */
  source?: string;
  /**
   * What the next push does with it: `archive` (gone from the directory or the file, or a
   * rename at a vendor matching by email: see `renamedTo`), `update` (a vendor matching on
   * Identification keeps the contact of a renamed entry: `now` names it), or `unchanged`.
   */
  next?: 'archive' | 'update' | 'unchanged';
  /** For an archive that is a rename: the new email (or SMS phone). */
  renamedTo?: string;
  /** For an update: the contact's name and email now. */
  now?: string;
}

/** One person in one location. */
export interface LocationExplain {
  /** Location slug ('' = all locations). */
  slug: string;
  /** Whether a search of the location returned the person (so push mapped a row for it). */
  matched: boolean;
  /** Why (not): per search, what includes or excludes the person. */
  why: string[];
  /** The searches one by one. */
  searches: SearchCheck[];
  /** The mapped row (mapped here too when no search matched, to show what it would be). */
  row: ExplainedCell[];
  /** What the export does with the row. */
  verdict: RowFate['verdict'] | 'not-matched';
  /** Why it is not sent. */
  reasons: string[];
  /** For a duplicate: the shared columns and the entries that keep them (or, kept by none, share them). */
  duplicateOf?: RowFate['duplicateOf'];
  /** For one-site: the location that sends the email. */
  keptBy?: string;
  /** What the next push does at the vendor, compared with the last good push. */
  action: 'create' | 'update' | 'unchanged' | 'archive' | 'none';
  /** For an update: each changed column, old → new. */
  changes: ColumnChange[];
  /** For an archive: why the contact is no longer sent. */
  archiveBecause?: string[];
  /**
   * For a create that is a rename (the same directory entry with a new email or SMS phone):
   * the old contact's reach, the new one, and the old contact's location.
   */
  rename?: { from: string; to: string; location: string };
  /** The row the vendor last received for it here, or null. */
  lastPushed: ExplainedCell[] | null;
}

/** One person found. */
export interface PersonExplain {
  /** The entry's DN; for a contact of an `extraContacts:` file, its source. */
  dn: string;
  /** For a contact of an `extraContacts:` file: "FILE line N". */
  source?: string;
  /** As people name it. */
  name: string;
  /** Every configured location, in output order. */
  locations: LocationExplain[];
}

/** What `adsync explain` found. */
export interface ExplainResult {
  /** What was asked about. */
  query: string;
  /** Everyone it matches. */
  people: PersonExplain[];
  /** More people matched than are shown. */
  more: boolean;
  /** The last good push: when, and how many contacts; null before the first. */
  lastPush: { time: string; contacts: number } | null;
  /** Nobody found: the last push's contacts with that email (or identification), if any. */
  inLastPush: ReceivedContact[];
  /** The export's warnings about the people. */
  warnings: ExportWarning[];
  /** The directory that answered. */
  connection: ConnectionInfo | undefined;
}

/** Options for {@link explain}. */
export interface ExplainOptions {
  /** Progress. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Stops the run. */
  signal?: AbortSignal | undefined;
}

const cellsOf = (config: ResolvedConfig, cells: readonly string[], entry?: SourceEntry): ExplainedCell[] =>
  config.layout.columns.map((column, i) => ({
    column: column.header,
    value: cells[i] ?? '',
    ...(entry ? { from: columnOrigin(column, entry) } : {}),
  }));

/**
 * Explain why a person is (not) on the kiosk: find them (email, login, DN or part of a name),
 * then per location whether each search selects them and why, the mapped row, the verdict of
 * validation, duplicates and the one-site rule (from the same export push runs), what the next
 * push would do, and what the vendor last received. Reads only: no lock, no state, no files.
 * @param config the resolved config
 * @param query what was asked about
 * @param options progress and stop signal
 */
export async function explain(
  config: ResolvedConfig,
  query: string,
  options: ExplainOptions = {},
): Promise<ExplainResult> {
  const asked = query.trim();
  if (asked === '')
    throw new UsageError('explain needs a person: an email, a login, a DN or part of a name', {
      hint: 'For example: adsync explain ada@example.com',
    });
  const previous = await openLastPush(targetStatePaths(config).state);
  // Before the directory is opened: an unusable file stops explain as it stops push.
  const listed = await findExtraContacts(config, asked);
  const found = await lookUp(config, asked);
  const result: ExplainResult = {
    query: asked,
    people: [],
    more: found.more || listed.more,
    lastPush: previous ? { time: previous.time, contacts: previous.count } : null,
    inLastPush: [],
    warnings: [],
    connection: found.connection,
  };
  if (found.people.length === 0 && listed.people.length === 0)
    return explainGone(config, asked, previous, result, options);
  return explainFound(config, { found, listed, previous, result }, options);
}

/** The people a query names in the directory, with why each location's reads (do not) select them. */
interface LookedUp {
  people: SourceEntry[];
  more: boolean;
  /** Per person (normalised DN), per location slug, its reads. */
  checks: Map<string, Map<string, SearchCheck[]>>;
  connection: ConnectionInfo;
}

/** Find the people a query names and ask the directory why each location does (not) select them. */
async function lookUp(config: ResolvedConfig, asked: string): Promise<LookedUp> {
  const source = createDirectorySource(config.directory);
  try {
    const connection = await source.open();
    const found = await findPeople(source, config, asked);
    const checks = new Map<string, Map<string, SearchCheck[]>>();
    for (const person of found.people)
      checks.set(dnKey(person.dn), await source.explain(person, config.locations));
    return { ...found, checks, connection };
  } finally {
    await source.close();
  }
}

/**
 * Nobody found: the last push's contacts with that email (or identification), and what the
 * next push does with them.
 */
async function explainGone(
  config: ResolvedConfig,
  asked: string,
  previous: PreviousPush | undefined,
  result: ExplainResult,
  options: ExplainOptions,
): Promise<ExplainResult> {
  const layout = config.layout;
  const wantedValue = asked.toLowerCase();
  const hits = await lastReceived(
    previous,
    (c) =>
      [layout.roles.email, layout.roles.identification].some(
        (i) => i !== undefined && (c.cells[i] ?? '').toLowerCase() === wantedValue,
      ) || c.source?.toLowerCase() === wantedValue,
  );
  // What the next push does with them: not always an archive (a vendor matching on
  // Identification updates a renamed entry's contact; iLobby replaces it: a rename).
  const fates =
    hits.length === 0
      ? undefined
      : await exportFates(config, new Set(), new Set(hits.map((c) => c.key)), previous, {
          ...options,
          renamesFrom: new Set(hits.flatMap((c) => contactReach(layout, c))),
        });
  if (fates) {
    result.connection = fates.connection;
    result.warnings = fates.warnings;
  }
  result.inLastPush = hits.map((c) => ({
    location: c.location,
    row: cellsOf(config, c.cells),
    ...(c.source === undefined ? {} : { source: c.source }),
    ...(fates ? nextFor(c, contactReach(layout, c), fates.plan) : {}),
  }));
  return result;
}

/**
 * Every location's row of every person, mapped as push maps it: their identities name the plan
 * entries to keep, and the rows of locations that do not select them are shown too.
 * @returns per person (normalised DN), per slug, the cells; and every identity
 */
function mapEveryLocation(
  config: ResolvedConfig,
  people: readonly SourceEntry[],
  slugs: readonly string[],
): { mapped: Map<string, Map<string, string[]>>; keys: Set<string> } {
  const mapped = new Map<string, Map<string, string[]>>();
  const keys = new Set<string>();
  for (const person of people) {
    const bySlug = new Map<string, string[]>();
    for (const slug of slugs) {
      const context = { location: slug, defaultCountry: config.phone.defaultCountry };
      const cells = mapEntry(config.layout, person, context).cells;
      bySlug.set(slug, cells);
      keys.add(identityOf(config.layout, { cells, location: slug }));
    }
    mapped.set(dnKey(person.dn), bySlug);
  }
  return { mapped, keys };
}

/** The people found: per location the reads, the row's fate, the plan's action, what was sent. */
async function explainFound(
  config: ResolvedConfig,
  facts: {
    found: LookedUp;
    listed: { people: ListedContact[] };
    previous: PreviousPush | undefined;
    result: ExplainResult;
  },
  options: ExplainOptions,
): Promise<ExplainResult> {
  const { found, listed, previous, result } = facts;
  const layout = config.layout;
  const slugs = [...new Set(config.locations.map((l) => l.slug))].sort(compareText);
  const { mapped, keys } = mapEveryLocation(config, found.people, slugs);
  for (const row of listed.people) keys.add(identityOf(layout, { cells: row.cells, location: row.slug }));
  const wanted = new Set([
    ...found.people.map((p) => dnKey(p.dn)),
    ...listed.people.map((p) => dnKey(p.source)),
  ]);
  const fates = await exportFates(config, wanted, keys, previous, options);
  result.connection = fates.connection;
  result.warnings = fates.warnings;
  // The contacts a rename replaces are found by their directory identity.
  const ids = new Set<string>();
  for (const byLocation of fates.rows.values())
    for (const fate of byLocation.values()) if (fate.id !== undefined) ids.add(fate.id);
  const received = await lastReceived(
    previous,
    (c) => keys.has(c.key) || (c.id !== undefined && ids.has(c.id)),
  );
  for (const person of found.people) {
    const key = dnKey(person.dn);
    const locations = slugs.map((slug) =>
      locationExplain(config, person, slug, {
        cells: mapped.get(key)?.get(slug) ?? [],
        fate: fates.rows.get(key)?.get(slug),
        searches: found.checks.get(key)?.get(slug) ?? [],
        plan: fates.plan,
        received,
      }),
    );
    const first = locations.find((l) => l.verdict !== 'not-matched') ?? locations[0];
    const cells = first?.row.map((c) => c.value) ?? [];
    result.people.push({ dn: person.dn, name: displayName(layout, cells), locations });
  }
  for (const row of listed.people)
    result.people.push(
      listedExplain(config, row, slugs, fates.rows.get(dnKey(row.source)), fates.plan, received),
    );
  return result;
}

/** A contact's email and SMS phone (lower case): what a rename's `from` names. */
function contactReach(layout: ResolvedConfig['layout'], contact: StoredContact): string[] {
  return [layout.roles.email, layout.roles.smsPhone].flatMap((i) =>
    i === undefined || (contact.cells[i] ?? '') === '' ? [] : [(contact.cells[i] ?? '').toLowerCase()],
  );
}

/**
 * What the next push does with a contact of the last push that nobody matches now.
 * @param contact the contact as the vendor last received it
 * @param reach its email and SMS phone (lower case)
 * @param plan the plan's entries about it
 */
function nextFor(
  contact: StoredContact,
  reach: readonly string[],
  plan: Fates['plan'],
): Pick<ReceivedContact, 'next' | 'renamedTo' | 'now'> {
  const here = (e: { key: string; location: string }): boolean =>
    e.key === contact.key && e.location === contact.location;
  const update = plan.update.find(here);
  if (update) return { next: 'update', now: update.name };
  if (plan.archive.some(here)) {
    const rename = plan.renames.find(
      (r) => r.location === contact.location && reach.includes(r.from.toLowerCase()),
    );
    return { next: 'archive', ...(rename ? { renamedTo: rename.to } : {}) };
  }
  return { next: 'unchanged' };
}

/**
 * A contact of an `extraContacts:` file: the location its row names (a row naming no
 * configured location is shown at the first, whose rejects file lists it), and no search.
 */
function listedExplain(
  config: ResolvedConfig,
  row: ListedContact,
  slugs: readonly string[],
  fates: ReadonlyMap<string, RowFate> | undefined,
  plan: Fates['plan'],
  received: readonly StoredContact[],
): PersonExplain {
  const home = slugs.includes(row.slug) ? row.slug : (slugs[0] ?? '');
  const locations = slugs.map((slug) => {
    const mine = slug === home;
    const explained = locationExplain(config, undefined, slug, {
      cells: row.cells,
      fate: mine ? fates?.get(row.slug) : undefined,
      searches: [],
      plan,
      received,
    });
    explained.why = mine
      ? [`listed in ${row.source} (extraContacts), not read from the directory`]
      : [`${row.source} names location ${quoteValue(row.slug)}, not this one`];
    return explained;
  });
  return { dn: row.source, source: row.source, name: displayName(config.layout, row.cells), locations };
}

/** One person in one location: the searches, the fate of the row, the plan's action. */
function locationExplain(
  config: ResolvedConfig,
  person: SourceEntry | undefined,
  slug: string,
  facts: {
    cells: string[];
    fate: RowFate | undefined;
    searches: SearchCheck[];
    plan: Fates['plan'];
    received: readonly StoredContact[];
  },
): LocationExplain {
  const layout = config.layout;
  const { fate, searches, plan } = facts;
  const cells = fate?.cells ?? facts.cells;
  const key = identityOf(layout, { cells, location: slug });
  const here = (e: { key: string; location: string }): boolean => e.key === key && e.location === slug;
  const several = searches.length > 1;
  const why = searches.flatMap((s) => s.why.map((w) => (several ? `${s.label}: ${w}` : w)));
  const rename =
    fate?.verdict === 'valid' && person
      ? plan.renames.find((r) => dnKey(r.dn) === dnKey(person.dn) && (r.toLocation ?? r.location) === slug)
      : undefined;
  const pushed =
    facts.received.find(here) ??
    (rename ? facts.received.find((c) => c.id === fate?.id && c.location === rename.location) : undefined);
  const out: LocationExplain = {
    slug,
    matched: fate !== undefined,
    why,
    searches,
    row: cellsOf(config, cells, person),
    verdict: fate?.verdict ?? 'not-matched',
    reasons: fate?.reasons ?? [],
    ...(fate?.duplicateOf ? { duplicateOf: fate.duplicateOf } : {}),
    ...(fate?.keptBy !== undefined ? { keptBy: fate.keptBy } : {}),
    action: 'none',
    changes: [],
    lastPushed: pushed ? cellsOf(config, pushed.cells) : null,
  };
  if (fate?.verdict === 'valid') {
    const update = plan.update.find(here);
    if (plan.firstPush || plan.create.some(here)) {
      out.action = 'create';
      if (rename) out.rename = { from: rename.from, to: rename.to, location: rename.location };
    } else if (update) {
      out.action = 'update';
      out.changes = update.changes ?? [];
    } else out.action = 'unchanged';
    return out;
  }
  const archive = plan.archive.find(here);
  if (archive) {
    out.action = 'archive';
    out.archiveBecause =
      archive.rejectedBecause ??
      (fate ? fate.reasons : ['no search of the location selects the person any more (see why)']);
  }
  return out;
}
