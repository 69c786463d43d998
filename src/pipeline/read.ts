import type { ResolvedConfig } from '../config/types.js';
import { RowSorter, type SortBudget } from '../csv/external-sort.js';
import type { ConnectionInfo, DirectorySource, LocationRead } from '../directory/types.js';
import { createDirectorySource } from '../directory/source.js';
import { checkBinaryColumns } from './binary-columns.js';
import { mapEntry } from '../mapping/columns.js';
import { directoryIdOf } from '../mapping/directory-id.js';
import { sortKeyIndexes } from '../mapping/order.js';
import { HashIndex } from '../util/hash-index.js';
import { validateRow } from '../validation/validate.js';
import { ExtraContacts } from './extra-contacts.js';
import { RejectStore, RowWarnings } from './rejects.js';
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

/** What one read of the directory keeps while it runs. */
interface ReadState {
  config: ResolvedConfig;
  work: string;
  budget: SortBudget;
  emit: (event: ExportEvent) => void;
  signal: AbortSignal | undefined;
  keyColumns: number[];
  warnings: RowWarnings;
  rejects: RejectStore;
  extras: ExtraContacts | undefined;
  references: string[];
  buckets: Map<string, Bucket>;
  searches: Record<string, number>;
  /** Entries returned per location, over all its reads (before mapping and validation). */
  foundBy: Map<string, number>;
  entriesRead: number;
}

/**
 * Phase one: read every location, map and validate each entry, and sort the valid rows into
 * runs (in `work`). What the locations name must exist (a group): a mistyped or renamed one
 * would match nobody and empty its location without an error.
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
  const directory = createDirectorySource(config.directory);
  const rejects = new RejectStore(work);
  const state: ReadState = {
    config,
    work,
    budget,
    emit,
    signal,
    keyColumns: sortKeyIndexes(config.layout),
    warnings: new RowWarnings(watch && ((dn) => watch.wants(dn))),
    rejects,
    // Before the directory is opened: a missing or malformed file stops the run first.
    extras: await ExtraContacts.load(config, (slug, row) => rejects.add(slug, row)),
    references: [],
    buckets: new Map(),
    searches: {},
    foundBy: new Map(),
    entriesRead: 0,
  };
  const connection = await directory.open();
  let groupWarnings: ExportWarning[];
  try {
    emit({ type: 'connected', connection });
    await checkBinaryColumns(directory, config, connection.url, emit);
    groupWarnings = await directory.verifyLocations(config.locations);
    for (const read of await directory.reads(config.locations, config.layout))
      await readLocation(state, read);
  } finally {
    await directory.close();
  }
  const { buckets, warnings, references, entriesRead, searches } = state;
  await state.extras?.addTo(buckets, warnings, watch);
  warnings.kept.push(...groupWarnings, ...emptyLocationWarnings(config, directory, state.foundBy));
  emit({ type: 'entries', total: entriesRead });
  return { connection, buckets, rejects, warnings, references, entriesRead, searches };
}

/** The bucket of a location, made on its first read. */
function bucketOf(state: ReadState, slug: string): Bucket {
  let bucket = state.buckets.get(slug);
  if (!bucket) {
    const name = `loc${state.buckets.size}`;
    bucket = {
      slug,
      name,
      dns: new HashIndex(),
      sorter: new RowSorter({ dir: state.work, name, columns: state.keyColumns, budget: state.budget }),
    };
    state.buckets.set(slug, bucket);
  }
  return bucket;
}

/** One read of one location: each entry mapped, validated, and sorted or rejected. */
async function readLocation(state: ReadState, read: LocationRead): Promise<void> {
  const { config, emit } = state;
  const layout = config.layout;
  emit({ type: 'search', location: read.slug, base: read.base, filter: read.filter });
  state.searches[read.key] ??= 0;
  const bucket = bucketOf(state, read.slug);
  const context = { location: read.slug, defaultCountry: config.phone.defaultCountry };
  let found = 0;
  for await (const entry of read.entries((uri) => {
    state.references.push(uri);
    emit({ type: 'reference', uri });
  })) {
    state.entriesRead++;
    found++;
    if (state.entriesRead % 500 === 0) {
      state.signal?.throwIfAborted();
      emit({ type: 'entries', total: state.entriesRead });
    }
    if (bucket.dns.addLowerCase(entry.dn, 0) !== undefined) continue;
    const row = mapEntry(layout, entry, context);
    const verdict = validateRow(layout, row);
    for (const message of verdict.warnings)
      state.warnings.add({ message, dn: entry.dn, location: read.slug });
    if (verdict.reasons.length > 0) {
      await state.rejects.add(read.slug, {
        cells: row.cells,
        dn: entry.dn,
        location: read.slug,
        reasons: verdict.reasons,
      });
    } else {
      await bucket.sorter.add(row.cells, entry.dn, directoryIdOf(entry));
      state.extras?.noteDirectoryRow(read.slug, row.cells, entry.dn);
    }
  }
  state.searches[read.key] = (state.searches[read.key] ?? 0) + found;
  state.foundBy.set(read.slug, (state.foundBy.get(read.slug) ?? 0) + found);
}

/**
 * A location whose reads return nobody is almost always a mistake (an OU or group typed
 * wrong, a filter that excludes everyone, read rights missing). The guards only see it when the
 * location had rows last time, so it is said on every run, the first push and `check` included.
 * @param config the resolved config
 * @param directory the source, which says what a location's reads look at
 * @param foundBy entries returned per location slug
 */
function emptyLocationWarnings(
  config: ResolvedConfig,
  directory: DirectorySource,
  foundBy: ReadonlyMap<string, number>,
): ExportWarning[] {
  const where = new Map<string, string[]>();
  for (const location of config.locations) {
    if ((foundBy.get(location.slug) ?? 0) > 0) continue;
    const list = where.get(location.slug) ?? [];
    where.set(location.slug, list);
    list.push(...directory.describe(location));
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
