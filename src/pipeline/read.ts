import type { ResolvedConfig } from '../config/types.js';
import { RowSorter, type SortBudget } from '../csv/external-sort.js';
import type { ConnectionInfo } from '../directory/types.js';
import { createDirectorySource } from '../directory/source.js';
import { checkBinaryColumns } from './binary-columns.js';
import { mapEntry } from '../mapping/columns.js';
import { directoryIdOf } from '../mapping/directory-id.js';
import { sortKeyIndexes } from '../mapping/order.js';
import { HashIndex } from '../util/hash-index.js';
import { validateRow } from '../validation/validate.js';
import { ExtraContacts } from './extra-contacts.js';
import { RejectStore, RowWarnings } from './rejects.js';
import { planSearches, searchKey } from './searches.js';
import type { ExportEvent, ExportWarning, ExportWatch } from './types.js';

/** One location while it is being read. */
export interface Bucket {
  slug: string;
  /** A file-name-safe name for the location's working files. */
  name: string;
  /** Each DN (case-insensitive) once, so a person found twice in one location is one row. */
  dns: HashIndex;
  /** The location's valid rows, sorted in bounded runs on disk. */
  sorter: RowSorter;
  /** The sources of the rows from `extraContacts:` files ("FILE line N"), in place of DNs. */
  extras?: Set<string>;
}

/** What the read phase found: per location its sorted rows and rejects, and the run's facts. */
export interface DirectoryRead {
  connection: ConnectionInfo;
  buckets: Map<string, Bucket>;
  /** Every location's rejected rows, on their way to disk. */
  rejects: RejectStore;
  /** The run's warnings, and a sample of those about single rows (the rest counted). */
  warnings: RowWarnings;
  references: string[];
  entriesRead: number;
  searches: Record<string, number>;
}

/**
 * Phase one: read every search, map and validate each entry, and sort the valid rows into runs
 * (in `work`). Every group named by a location must exist: a mistyped or renamed group would
 * match nobody and empty its location without an error.
 * @param config the resolved config
 * @param work the run's private working directory
 * @param budget rows the sort holds in memory, all locations together
 * @param emit progress callback
 * @param signal stops the read at the next batch of entries
 * @param watch told when a watched extra contact is left out for a directory row
 */
export async function readDirectory(
  config: ResolvedConfig,
  work: string,
  budget: SortBudget,
  emit: (event: ExportEvent) => void,
  signal: AbortSignal | undefined,
  watch?: ExportWatch,
): Promise<DirectoryRead> {
  const layout = config.layout;
  const keyColumns = sortKeyIndexes(layout);
  const directory = createDirectorySource(config.directory);
  const warnings = new RowWarnings(watch && ((dn) => watch.wants(dn)));
  const rejects = new RejectStore(work);
  const references: string[] = [];
  const buckets = new Map<string, Bucket>();
  const searches: Record<string, number> = {};
  const context = { location: '', defaultCountry: config.phone.defaultCountry };
  let entriesRead = 0;
  // Entries returned per location, over all its searches (before mapping and validation).
  const foundBy = new Map<string, number>();
  // Before the directory is opened: a missing or malformed file stops the run first.
  const extras = await ExtraContacts.load(config, (slug, row) => rejects.add(slug, row));
  const connection = await directory.open();
  try {
    emit({ type: 'connected', connection });
    await checkBinaryColumns(directory, config, connection.url, emit);
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
      let bucket = buckets.get(search.slug);
      if (!bucket) {
        const name = `loc${buckets.size}`;
        bucket = {
          slug: search.slug,
          name,
          dns: new HashIndex(),
          sorter: new RowSorter({ dir: work, name, columns: keyColumns, budget }),
        };
        buckets.set(search.slug, bucket);
      }
      context.location = search.slug;
      let found = 0;
      for await (const entry of directory.search(search, (uri) => {
        references.push(uri);
        emit({ type: 'reference', uri });
      })) {
        entriesRead++;
        found++;
        if (entriesRead % 500 === 0) {
          signal?.throwIfAborted();
          emit({ type: 'entries', total: entriesRead });
        }
        if (bucket.dns.addLowerCase(entry.dn, 0) !== undefined) continue;
        const row = mapEntry(layout, entry, context);
        const verdict = validateRow(layout, row);
        for (const message of verdict.warnings)
          warnings.add({ message, dn: entry.dn, location: search.slug });
        if (verdict.reasons.length > 0) {
          await rejects.add(search.slug, {
            cells: row.cells,
            dn: entry.dn,
            location: search.slug,
            reasons: verdict.reasons,
          });
        } else {
          await bucket.sorter.add(row.cells, entry.dn, directoryIdOf(entry));
          extras?.noteDirectoryRow(search.slug, row.cells, entry.dn);
        }
      }
      searches[countKey] = (searches[countKey] ?? 0) + found;
      foundBy.set(search.slug, (foundBy.get(search.slug) ?? 0) + found);
    }
  } finally {
    await directory.close();
  }
  await extras?.addTo(buckets, warnings, watch);
  warnings.kept.push(...emptyLocationWarnings(config, foundBy));
  emit({ type: 'entries', total: entriesRead });
  return { connection, buckets, rejects, warnings, references, entriesRead, searches };
}

/**
 * A location whose searches return nobody is almost always a mistake (an OU or group typed
 * wrong, a filter that excludes everyone, read rights missing). The guards only see it when the
 * location had rows last time, so it is said on every run, the first push and `check` included.
 * @param config the resolved config
 * @param foundBy entries returned per location slug
 */
function emptyLocationWarnings(
  config: ResolvedConfig,
  foundBy: ReadonlyMap<string, number>,
): ExportWarning[] {
  const where = new Map<string, string[]>();
  for (const location of config.locations) {
    if ((foundBy.get(location.slug) ?? 0) > 0) continue;
    const list = where.get(location.slug) ?? [];
    where.set(location.slug, list);
    list.push(
      location.ous.length > 0
        ? `ous ${location.ous.join('; ')}`
        : `baseDN ${config.directory.baseDN ?? '(none)'}`,
      ...(location.groups.length > 0 ? [`groups ${location.groups.join('; ')}`] : []),
    );
  }
  const out: ExportWarning[] = [];
  for (const [slug, searched] of where) {
    const name = slug ? `location ${slug}` : 'the location (all locations)';
    out.push({
      message: `${name}: its searches returned nobody (${searched.join(', ')}); check its OUs, groups and directory.filter, and that the service account may read them`,
      location: slug,
    });
  }
  return out;
}
