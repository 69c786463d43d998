import type { ResolvedConfig } from '../config/normalize.js';
import { buildLocationFilter } from '../directory/filter.js';
import type { ConnectionInfo, SearchRequest } from '../directory/ldap-source.js';
import { createDirectorySource } from '../directory/source.js';
import { mapEntry, type ColumnSet } from '../mapping/columns.js';
import { findDuplicates, validateRow } from '../validation/validate.js';

/** Progress reported while exporting, for spinners and `--verbose`. */
export type ExportEvent =
  | { type: 'connected'; connection: ConnectionInfo }
  | { type: 'search'; location: string; base: string; filter: string }
  | { type: 'entries'; total: number }
  | { type: 'reference'; uri: string };

/** A warning about one contact (or the run), shown and put in the report. */
export interface ExportWarning {
  /** What it is about. */
  message: string;
  /** The entry's DN, when about an entry. */
  dn?: string;
  /** The location, when about a row. */
  location?: string;
}

/** A row that will not be sent, with every reason. */
export interface RejectedRow {
  /** The mapped cells. */
  cells: string[];
  /** The entry's DN. */
  dn: string;
  /** Location slug. */
  location: string;
  /** Why. */
  reasons: string[];
}

/** The rows of one location. */
export interface LocationRows {
  /** Slug ('' = all locations). */
  slug: string;
  /** Valid rows in output order. */
  rows: string[][];
  /** The DN of each row. */
  dns: string[];
  /** Rejected rows. */
  rejected: RejectedRow[];
}

/** Everything read and mapped, before any file is written. */
export interface ExportResult {
  /** Which server answered. */
  connection: ConnectionInfo;
  /** Header row. */
  headers: string[];
  /** Locations in output order. */
  locations: LocationRows[];
  /** Warnings. */
  warnings: ExportWarning[];
  /** Directory entries read (an entry matched by two searches counts twice). */
  entriesRead: number;
  /** Search continuation references seen and ignored. */
  references: string[];
  /** Entries returned by each search, keyed by location, base and groups (for the guards). */
  searches: Record<string, number>;
}

/**
 * A stable key for one search of one location, so runs can be compared search by search.
 * @param search the search
 * @param search.slug location slug
 * @param search.base search base
 * @param search.groups group DNs
 */
export function searchKey(search: { slug: string; base: string; groups: readonly string[] }): string {
  return [search.slug, search.base.toLowerCase(), ...search.groups.map((g) => g.toLowerCase())].join(' | ');
}

/** Options for {@link exportContacts}. */
export interface ExportOptions {
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
}

interface MappedOk {
  cells: string[];
  dn: string;
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
const compareText = (a: string, b: string): number => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

/** Output order within a location: last name, first name, identification, then DN. */
function sortKeyIndexes(layout: ColumnSet): number[] {
  const { roles } = layout;
  const keyed = [roles.lastName, roles.firstName, roles.identification ?? roles.email].filter(
    (i): i is number => i !== undefined,
  );
  return keyed.length > 0 ? keyed : layout.columns.map((_, i) => i);
}

/**
 * iLobby matches contacts by email, so one person cannot be in two sites: keep each email's row
 * in the first matching location in config order, and warn naming the others.
 */
function keepOneSitePerEmail(
  config: ResolvedConfig,
  locations: LocationRows[],
  warnings: ExportWarning[],
): void {
  const email = config.layout.roles.email;

  if (email === undefined) return;
  const configOrder = [...new Set(config.locations.map((l) => l.slug))];
  const ordered = [...locations].sort((a, b) => configOrder.indexOf(a.slug) - configOrder.indexOf(b.slug));
  const kept = new Map<string, { slug: string; dn: string; others: string[] }>();
  for (const loc of ordered) {
    const rows: string[][] = [];
    const dns: string[] = [];
    loc.rows.forEach((cells, i) => {
      const key = (cells[email] ?? '').toLowerCase();
      const dn = loc.dns[i] ?? '';
      const first = kept.get(key);
      if (first) {
        first.others.push(loc.slug);
        return;
      }
      kept.set(key, { slug: loc.slug, dn, others: [] });
      rows.push(cells);
      dns.push(dn);
    });
    loc.rows = rows;
    loc.dns = dns;
  }
  for (const [key, { slug, dn, others }] of kept) {
    if (others.length === 0) continue;
    warnings.push({
      dn,
      message: `${key} matches locations ${[slug, ...others].join(', ')}; iLobby holds one site per contact, so it is sent for ${slug} only (the first in config order)`,
      location: slug,
    });
  }
}

/**
 * The directory-specific part of a run: the searches of each location.
 * @param config the resolved config
 */
export function planSearches(
  config: ResolvedConfig,
): (SearchRequest & { slug: string; groups: readonly string[] })[] {
  const d = config.directory;
  return config.locations.flatMap((location) => {
    const bases = location.ous.length > 0 ? location.ous : d.baseDN !== undefined ? [d.baseDN] : [];
    const filter = buildLocationFilter({
      userFilter: d.userFilter,
      filter: d.filter,
      groups: location.groups,
      nested: location.nested,
    });
    return bases.map((base) => ({
      groups: location.groups,
      slug: location.slug,
      location: location.slug,
      base,
      scope: location.scope,
      filter,
      attributes: config.layout.attributes,
      bufferAttributes: config.layout.bufferAttributes,
    }));
  });
}

/**
 * Read every location from the directory, map and validate each person, and return the rows in
 * their deterministic order. Reads everything before returning: any directory error throws, so a
 * partial read never turns into a shorter CSV.
 * @param config the resolved config
 * @param options progress callback
 */
export async function exportContacts(
  config: ResolvedConfig,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const emit = options.onEvent ?? ((): void => undefined);
  const layout = config.layout;
  const directory = createDirectorySource(config.directory);
  const warnings: ExportWarning[] = [];
  const references: string[] = [];
  // Per slug: each DN (case-insensitive) once, so a person found twice in one location is one row.
  // Entries are mapped as they arrive; only the compact rows are kept.
  const bySlug = new Map<string, { dns: Set<string>; valid: MappedOk[]; rejected: RejectedRow[] }>();
  let entriesRead = 0;
  const searches: Record<string, number> = {};

  const connection = await directory.open();
  try {
    emit({ type: 'connected', connection });
    // A mistyped or renamed group would match nobody and empty its location without an error.
    const checked = new Set<string>();
    for (const location of config.locations) {
      for (const group of location.groups) {
        if (checked.has(group.toLowerCase())) continue;
        checked.add(group.toLowerCase());
        await directory.assertExists(group, location.slug);
      }
    }
    for (const search of planSearches(config)) {
      emit({ type: 'search', location: search.slug, base: search.base, filter: search.filter });
      const countKey = searchKey(search);
      searches[countKey] ??= 0;
      let bucket = bySlug.get(search.slug);
      if (!bucket) bySlug.set(search.slug, (bucket = { dns: new Set(), valid: [], rejected: [] }));
      for await (const entry of directory.search(search, (uri) => {
        references.push(uri);
        emit({ type: 'reference', uri });
      })) {
        entriesRead++;
        searches[countKey] = (searches[countKey] ?? 0) + 1;
        const key = entry.dn.toLowerCase();
        if (!bucket.dns.has(key)) {
          bucket.dns.add(key);
          const row = mapEntry(layout, entry, {
            location: search.slug,
            defaultCountry: config.phone.defaultCountry,
          });
          const verdict = validateRow(layout, row);
          for (const message of verdict.warnings)
            warnings.push({ message, dn: entry.dn, location: search.slug });
          if (verdict.reasons.length > 0) {
            bucket.rejected.push({
              cells: row.cells,
              dn: entry.dn,
              location: search.slug,
              reasons: verdict.reasons,
            });
          } else bucket.valid.push({ cells: row.cells, dn: entry.dn });
        }
        if (entriesRead % 500 === 0) emit({ type: 'entries', total: entriesRead });
      }
    }
  } finally {
    await directory.close();
  }
  emit({ type: 'entries', total: entriesRead });

  const keys = sortKeyIndexes(layout);
  const locations: LocationRows[] = [];
  const slugs = [...bySlug.keys()].sort(compareText);
  for (const slug of slugs) {
    const bucket = bySlug.get(slug);
    const valid = bucket?.valid ?? [];
    const rejected: RejectedRow[] = bucket?.rejected ?? [];
    const order = (a: MappedOk, b: MappedOk): number => {
      for (const k of keys) {
        const c = compareText(a.cells[k] ?? '', b.cells[k] ?? '');
        if (c !== 0) return c;
      }
      return compareText(a.dn, b.dn);
    };
    valid.sort(order);
    const duplicates = findDuplicates(layout, valid);
    const rows: string[][] = [];
    const dns: string[] = [];
    valid.forEach((row, i) => {
      const reasons = duplicates.get(i);
      if (reasons) rejected.push({ ...row, location: slug, reasons });
      else {
        rows.push(row.cells);
        dns.push(row.dn);
      }
    });
    rejected.sort(order);
    locations.push({ slug, rows, dns, rejected });
  }
  if (layout.reach === 'email') keepOneSitePerEmail(config, locations, warnings);
  return { connection, headers: layout.headers, locations, warnings, entriesRead, references, searches };
}
