import { mkdir, mkdtemp, open, rm, rmdir, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { ResolvedConfig } from '../config/types.js';
import { RowSorter, SortBudget } from '../csv/external-sort.js';
import { CsvFileWriter, writeCsv, type RunFiles } from '../csv/writer.js';
import { buildLocationFilter } from '../directory/filter.js';
import type { ConnectionInfo, SearchRequest } from '../directory/types.js';
import { createDirectorySource } from '../directory/source.js';
import { mapEntry } from '../mapping/columns.js';
import { compareText, RowOrder, sortKeyIndexes, type SortableRow } from '../mapping/order.js';
import { OutputError, describeError } from '../errors.js';
import { PLAN_SAMPLE, Planner, PreviousIndex, type Plan } from '../plan/planner.js';
import { LineBuffer, PlanFileWriter, stateContactLine, type PreviousPush } from '../state/store.js';
import { fileLines } from '../io/file-lines.js';
import { HashIndex } from '../util/hash-index.js';
import {
  DuplicateFinder,
  duplicateReason,
  validateRow,
  type DuplicateValue,
} from '../validation/validate.js';

export { compareText, sortKeyIndexes } from '../mapping/order.js';

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

/** A row of the export, as the sink receives it. */
export interface ExportRow {
  /** Cells in column order. */
  cells: string[];
  /** Location slug ('' = all locations). */
  location: string;
  /** The entry's DN. */
  dn: string;
}

/**
 * Where the rows go, one at a time, in output order: locations by slug, rows by last name,
 * first name, identification and DN. Nothing holds the whole export in memory.
 */
export interface ExportSink {
  /**
   * A valid row (after the duplicate and one-site-per-email rules).
   * @param row the row
   */
  row(row: ExportRow): Promise<void> | void;
}

/** The outcome of one location. */
export interface LocationOutput {
  /** Slug ('' = all locations). */
  slug: string;
  /** Valid rows sent to the sink. */
  rows: number;
  /** Rejected rows, in output order. */
  rejected: RejectedRow[];
}

/** Everything read and mapped; the rows themselves went to the sink. */
export interface ExportResult {
  /** Which server answered. */
  connection: ConnectionInfo;
  /** Header row. */
  headers: string[];
  /** Locations in output order. */
  locations: LocationOutput[];
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
  /** Receives the valid rows in output order. */
  sink?: ExportSink | undefined;
  /**
   * Where the private working directory for sorted runs goes (removed at the end). Default: the
   * system's temporary directory; push uses the output directory (same disk as the CSV).
   */
  workDir?: string | undefined;
  /**
   * Rows the sort holds in memory, all locations together, before the largest holder writes a
   * sorted run to disk (see {@link DEFAULT_SORT_MEMORY_ROWS}); tests make it tiny to exercise the
   * merge.
   */
  sortMemoryRows?: number | undefined;
  /** Stops the export (time limit, SIGTERM): it throws the signal's reason at the next entry. */
  signal?: AbortSignal | undefined;
}

/**
 * Rows the sort holds in memory by default: about 30 MB of rows, whatever the size of the
 * directory. Writing and reading a run costs about 5 µs a row (mostly garbage collection), so
 * the budget is set to keep a location of tens of thousands of people off the disk.
 */
export const DEFAULT_SORT_MEMORY_ROWS = 50_000;

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

/** One location while it is being read. */
interface Bucket {
  slug: string;
  /** A file-name-safe name for the location's working files. */
  name: string;
  /** Each DN (case-insensitive) once, so a person found twice in one location is one row. */
  dns: HashIndex;
  sorter: RowSorter;
  rejected: RejectedRow[];
}

/** Appends lines to one of the run's temporary files, in chunks. */
class LineFile {
  private chunk = '';
  private constructor(
    public readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  public static async create(path: string): Promise<LineFile> {
    return new LineFile(path, await open(path, 'wx', 0o600));
  }

  public async add(line: string): Promise<void> {
    this.chunk += `${line}\n`;
    if (this.chunk.length >= 128 * 1024) {
      const chunk = this.chunk;
      this.chunk = '';
      await this.handle.write(chunk);
    }
  }

  public async close(): Promise<void> {
    try {
      if (this.chunk !== '') await this.handle.write(this.chunk);
    } finally {
      await this.handle.close();
    }
  }
}

/**
 * Read every location from the directory, map and validate each person, and send the valid rows
 * to the sink in their deterministic order. Memory does not grow with the directory: each
 * location's rows are sorted in bounded runs on disk and merged, duplicates are found with
 * compact hashes, and only rejected rows and warnings are kept. Everything is read before the
 * first row reaches the sink: any directory error throws first, so a partial read never turns
 * into a shorter CSV.
 * @param config the resolved config
 * @param options progress callback, sink, working directory
 */
export async function exportContacts(
  config: ResolvedConfig,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const emit = options.onEvent ?? ((): void => undefined);
  const sink = options.sink ?? { row: (): void => undefined };
  const layout = config.layout;
  const keyColumns = sortKeyIndexes(layout);
  const work = await mkdtemp(join(options.workDir ?? tmpdir(), '.adsync-work-'));
  try {
    const read = await readDirectory(
      config,
      work,
      new SortBudget(options.sortMemoryRows ?? DEFAULT_SORT_MEMORY_ROWS),
      emit,
      options.signal,
    );
    const { buckets, warnings } = read;
    const slugs = [...buckets.keys()].sort(compareText);
    const outputs = new Map<string, LocationOutput>();
    if (layout.reach === 'email') {
      // iLobby holds one site per contact: locations are settled in config order (the first
      // matching location keeps the contact), then written in output order.
      const configOrder = [...new Set(config.locations.map((l) => l.slug))].filter((s) => buckets.has(s));
      const rule = new OneSitePerEmail(layout.roles.email ?? 0);
      const settled = new Map<string, string>();
      for (const slug of configOrder) {
        const bucket = buckets.get(slug);
        if (!bucket) continue;
        const file = await LineFile.create(join(work, `settled-${settled.size}`));
        settled.set(slug, file.path);
        try {
          outputs.set(
            slug,
            await settleLocation(bucket, layout, keyColumns, work, rule, (row) =>
              file.add(JSON.stringify([row.dn, row.cells])),
            ),
          );
        } finally {
          await file.close();
        }
      }
      warnings.push(...(await rule.warnings()));
      for (const slug of slugs) {
        const path = settled.get(slug);
        if (path === undefined) continue;
        for await (const line of fileLines(path)) {
          const [dn, cells] = JSON.parse(line) as [string, string[]];
          await sink.row({ cells, location: slug, dn });
        }
      }
    } else {
      for (const slug of slugs) {
        const bucket = buckets.get(slug);
        if (!bucket) continue;
        outputs.set(
          slug,
          await settleLocation(bucket, layout, keyColumns, work, undefined, (row) =>
            sink.row({ cells: row.cells as string[], location: slug, dn: row.dn }),
          ),
        );
      }
    }
    const locations = slugs.flatMap((slug) => {
      const output = outputs.get(slug);
      return output ? [output] : [];
    });
    return {
      connection: read.connection,
      headers: layout.headers,
      locations,
      warnings,
      entriesRead: read.entriesRead,
      references: read.references,
      searches: read.searches,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Phase one: read every search, map and validate, and sort the valid rows into runs. */
async function readDirectory(
  config: ResolvedConfig,
  work: string,
  budget: SortBudget,
  emit: (event: ExportEvent) => void,
  signal: AbortSignal | undefined,
): Promise<{
  connection: ConnectionInfo;
  buckets: Map<string, Bucket>;
  warnings: ExportWarning[];
  references: string[];
  entriesRead: number;
  searches: Record<string, number>;
}> {
  const layout = config.layout;
  const keyColumns = sortKeyIndexes(layout);
  const directory = createDirectorySource(config.directory);
  const warnings: ExportWarning[] = [];
  const references: string[] = [];
  const buckets = new Map<string, Bucket>();
  const searches: Record<string, number> = {};
  const context = { location: '', defaultCountry: config.phone.defaultCountry };
  let entriesRead = 0;
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
      let bucket = buckets.get(search.slug);
      if (!bucket) {
        bucket = {
          slug: search.slug,
          name: `loc${buckets.size}`,
          dns: new HashIndex(),
          sorter: new RowSorter({ dir: work, name: `loc${buckets.size}`, columns: keyColumns, budget }),
          rejected: [],
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
          warnings.push({ message, dn: entry.dn, location: search.slug });
        if (verdict.reasons.length > 0) {
          bucket.rejected.push({
            cells: row.cells,
            dn: entry.dn,
            location: search.slug,
            reasons: verdict.reasons,
          });
        } else await bucket.sorter.add(row.cells, entry.dn);
      }
      searches[countKey] = (searches[countKey] ?? 0) + found;
    }
  } finally {
    await directory.close();
  }
  emit({ type: 'entries', total: entriesRead });
  return { connection, buckets, warnings, references, entriesRead, searches };
}

/**
 * iLobby matches contacts by email and holds one site per contact: each email stays in the first
 * location (in config order) that has it, and a warning names the others. Keeps a compact hash
 * of each email and the number of the row that kept it; the warnings' DNs and emails are read
 * back from each location's list of kept rows at the end.
 */
class OneSitePerEmail {
  private readonly owners = new HashIndex();
  /** Kept rows so far, over all locations. */
  private kept = 0;
  /** Kept row number → the other locations that have the email. */
  private readonly others = new Map<number, string[]>();
  /** Per location settled so far: slug, first kept row number, its kept-rows file. */
  private readonly locations: { slug: string; first: number; file: string }[] = [];

  public constructor(private readonly emailColumn: number) {}

  /** Start a location; kept rows are listed in `file` as [dn, email] lines. */
  public begin(slug: string, file: string): void {
    this.locations.push({ slug, first: this.kept, file });
  }

  /**
   * @returns true when the row keeps its email here; false when an earlier location has it
   */
  public claim(cells: readonly string[], slug: string): boolean {
    const email = (cells[this.emailColumn] ?? '').toLowerCase();
    const owner = this.owners.add(email, this.kept);
    if (owner === undefined) {
      this.kept++;
      return true;
    }
    const list = this.others.get(owner);
    if (list) list.push(slug);
    else this.others.set(owner, [slug]);
    return false;
  }

  /** The warnings, in the order the emails were first kept. */
  public async warnings(): Promise<ExportWarning[]> {
    const out: ExportWarning[] = [];
    if (this.others.size === 0) return out;
    const wanted = [...this.others.keys()].sort((a, b) => a - b);
    let next = 0;
    for (const [i, location] of this.locations.entries()) {
      const end = this.locations[i + 1]?.first ?? this.kept;
      let n = location.first;
      if ((wanted[next] ?? Infinity) >= end) continue;
      for await (const line of fileLines(location.file)) {
        const target = wanted[next];
        if (target === undefined || target >= end) break;
        if (n === target) {
          const [dn, email] = JSON.parse(line) as [string, string];
          const others = this.others.get(n) ?? [];
          out.push({
            dn,
            message: `${email} matches locations ${[location.slug, ...others].join(', ')}; iLobby holds one site per contact, so it is sent for ${location.slug} only (the first in config order)`,
            location: location.slug,
          });
          next++;
        }
        n++;
      }
    }
    return out;
  }
}

/**
 * Phase two for one location: merge its sorted rows, reject rows that repeat a unique value,
 * apply iLobby's one-site rule, and pass the rest on in order.
 * @returns the location's counts and rejected rows (in output order)
 */
async function settleLocation(
  bucket: Bucket,
  layout: ResolvedConfig['layout'],
  keyColumns: readonly number[],
  work: string,
  oneSite: OneSitePerEmail | undefined,
  pass: (row: SortableRow) => Promise<void> | void,
): Promise<LocationOutput> {
  const finder = new DuplicateFinder(layout);
  // DNs of the rows that passed the duplicate check, by number, to name a duplicate's owner.
  const acceptedFile = await LineFile.create(join(work, `accepted-${bucket.name}`));
  const keptFile = oneSite ? await LineFile.create(`${acceptedFile.path}.kept`) : undefined;
  if (oneSite && keptFile) oneSite.begin(bucket.slug, keptFile.path);
  const duplicates: { row: SortableRow; values: DuplicateValue[] }[] = [];
  let rows = 0;
  const email = layout.roles.email ?? 0;
  try {
    for await (const row of bucket.sorter.sorted()) {
      const values = finder.check(row.cells);
      if (values) {
        duplicates.push({ row, values });
        continue;
      }
      await acceptedFile.add(JSON.stringify(row.dn));
      if (oneSite) {
        if (!oneSite.claim(row.cells, bucket.slug)) continue;
        await keptFile?.add(JSON.stringify([row.dn, (row.cells[email] ?? '').toLowerCase()]));
      }
      rows++;
      await pass(row);
    }
  } finally {
    await acceptedFile.close();
    await keptFile?.close();
  }
  const rejected = bucket.rejected;
  if (duplicates.length > 0) {
    // Name each duplicate's owner: read the accepted DNs once, keeping only the ones needed.
    const wanted = new Set(duplicates.flatMap((d) => d.values.map((v) => v.owner)));
    const owners = new Map<number, string>();
    let n = 0;
    for await (const line of fileLines(acceptedFile.path)) {
      if (wanted.has(n)) owners.set(n, JSON.parse(line) as string);
      n++;
    }
    for (const { row, values } of duplicates) {
      rejected.push({
        cells: row.cells as string[],
        dn: row.dn,
        location: bucket.slug,
        reasons: values.map((v) => duplicateReason(v, owners.get(v.owner) ?? '')),
      });
    }
  }
  await rm(acceptedFile.path, { force: true });
  const order = new RowOrder(keyColumns);
  const sorted = rejected
    .map((r) => ({ ...order.row(r.cells, r.dn), r }))
    .sort(order.compare)
    .map((x) => x.r);
  return { slug: bucket.slug, rows, rejected: sorted };
}

/** Options for {@link exportToFiles}. */
export interface ExportToFilesOptions {
  /** Where the CSV, the rejects file and the plan go. */
  files: RunFiles;
  /** The last good push, if any. */
  previous: PreviousPush | undefined;
  /** Keep the contact list for the next state (a real push; a dry run never writes state). */
  keepContacts: boolean;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Stops the run. */
  signal?: AbortSignal | undefined;
  /** Rows the sort holds in memory (see {@link ExportOptions.sortMemoryRows}). */
  sortMemoryRows?: number | undefined;
}

/** What {@link exportToFiles} wrote and found. */
export interface ExportedFiles {
  /** The export: locations with counts and rejected rows, warnings, searches… */
  result: ExportResult;
  /** Rows in the CSV. */
  rows: number;
  /** Rows rejected. */
  rejected: number;
  /** The plan against the last good push. */
  plan: Plan;
  /** SHA-256 and size of the CSV, as written. */
  csv: { sha256: string; bytes: number };
  /** The `safety.mustInclude` emails present in the CSV. */
  mustIncludeFound: Set<string>;
  /** This run's contact lines for the next state (real pushes), in CSV order. */
  contactsFile: string | undefined;
  /** Remove the run's working files (the contact list included). */
  dispose(): Promise<void>;
}

/** Flush a buffer once this many characters are waiting. */
const FLUSH_AT = 256 * 1024;

/**
 * The export of a push: read and map the directory, and stream the rows, in output order, into
 * the CSV (hashed as it is written), the plan against the last good push (the plan file lists
 * every contact; memory keeps counts and a sample) and, for a real push, the contact list that
 * becomes the next state once the vendor accepts the upload. Then the rejects file and the rest
 * of the plan. Memory stays flat: nothing per row is kept but compact hashes.
 * @param config the resolved config
 * @param options files, last push, progress
 */
export async function exportToFiles(
  config: ResolvedConfig,
  options: ExportToFilesOptions,
): Promise<ExportedFiles> {
  const layout = config.layout;
  const { files, previous } = options;
  const outDir = dirname(files.csvPath);
  let created: string | undefined;
  let work: string;
  try {
    created = await mkdir(outDir, { recursive: true, mode: 0o700 });
    // Working files live beside the CSV: same disk, same access rights as the personal data.
    work = await mkdtemp(join(outDir, '.adsync-run-'));
  } catch (error) {
    throw new OutputError(`cannot write ${files.csvPath}: ${describeError(error)}`, { cause: error });
  }
  const cleanups: (() => Promise<void>)[] = [() => rm(work, { recursive: true, force: true })];
  const dispose = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  // A run that fails leaves no trace: the output directories it made go too (when empty).
  const undoDirectories = async (): Promise<void> => {
    if (created === undefined) return;
    for (let dir = outDir; dir.length >= created.length; dir = dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  };
  try {
    let index: PreviousIndex | undefined;
    if (previous) {
      index = new PreviousIndex(layout);
      for await (const contact of previous.contacts()) index.add(contact);
    }
    const csv = await CsvFileWriter.create(files.csvPath, layout.headers, { bom: config.output.bom });
    cleanups.push(() => csv.abort());
    const planFile = await PlanFileWriter.create(files.planPath, previous === undefined);
    cleanups.push(() => planFile.abort());
    const stores = {
      create: planFile,
      pendingUpdate: new LineBuffer(join(work, 'updates-pending')),
      update: new LineBuffer(join(work, 'updates')),
      archive: new LineBuffer(join(work, 'archives')),
    };
    const planner = new Planner(layout, index, { sample: PLAN_SAMPLE, stores });
    const contacts = options.keepContacts ? new LineBuffer(join(work, 'contacts')) : undefined;
    const emailIndex = layout.roles.email;
    const wanted = new Set(config.safety.mustInclude);
    const mustIncludeFound = new Set<string>();
    const { signal } = options;
    let rows = 0;
    const sink: ExportSink = {
      row: async (row) => {
        // A stopped run (time limit, SIGTERM) ends here and removes what it wrote.
        if (++rows % 1000 === 0) signal?.throwIfAborted();
        await csv.write(row.cells);
        const key = planner.add(row);
        contacts?.add(stateContactLine(key, row.location, row.cells));
        if (wanted.size > 0 && emailIndex !== undefined) {
          const email = (row.cells[emailIndex] ?? '').toLowerCase();
          if (wanted.has(email)) mustIncludeFound.add(email);
        }
        if (planFile.pending >= FLUSH_AT) await planFile.flush();
        if (stores.pendingUpdate.pending >= FLUSH_AT) await stores.pendingUpdate.flush();
        if (contacts && contacts.pending >= FLUSH_AT) await contacts.flush();
      },
    };
    const result = await exportContacts(config, {
      onEvent: options.onEvent,
      sink,
      workDir: work,
      sortMemoryRows: options.sortMemoryRows,
      signal,
    });
    await contacts?.close();
    await stores.pendingUpdate.close();
    const written = await csv.commit();
    const rejectedRows = result.locations.flatMap((l) => l.rejected);
    await writeCsv(
      files.rejectsPath,
      [...result.headers, 'Source DN', 'Reasons'],
      rejectedRows.map((r) => [...r.cells, r.dn, r.reasons.join('; ')]),
      { bom: config.output.bom },
    );
    const plan = await planner.finish(
      previous?.contacts(),
      rejectedRows.map((r) => ({ cells: r.cells, location: r.location, reasons: r.reasons })),
    );
    await stores.update.close();
    await stores.archive.close();
    await planFile.finish(plan, stores.update, stores.archive);
    // Stopped meanwhile: the caller has gone; do not leave the working files behind.
    signal?.throwIfAborted();
    return {
      result,
      rows: result.locations.reduce((n, l) => n + l.rows, 0),
      rejected: rejectedRows.length,
      plan,
      csv: written,
      mustIncludeFound,
      contactsFile: contacts ? join(work, 'contacts') : undefined,
      dispose,
    };
  } catch (error) {
    await dispose();
    await undoDirectories();
    throw error;
  }
}
