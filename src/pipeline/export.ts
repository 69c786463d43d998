import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ResolvedConfig } from '../config/types.js';
import { SortBudget } from '../csv/external-sort.js';
import { CsvFileWriter, type RunFiles } from '../csv/writer.js';
import { LINE_CHUNK } from '../io/line-buffer.js';
import { emailKey } from '../mapping/cells.js';
import { PLAN_SAMPLE, Planner, PreviousIndex, type Plan } from '../plan/planner.js';
import { tightenHeapForLargeExport } from '../runtime/heap.js';
import { stateContactLine, type PreviousPush } from '../state/baseline.js';
import { PlanFileWriter } from '../state/plan-file.js';
import { readDirectory } from './read.js';
import { RunWorkspace } from './run-files.js';
import type { KeyHistory } from './settle-location.js';
import { settleLocations } from './settle.js';
import type { CurrentRow } from '../plan/identity.js';
import type { RejectFlags } from '../plan/planner.js';
import type { ExportEvent, ExportResult, ExportSink, ExportWatch, RejectedRow } from './types.js';

export type {
  ExportEvent,
  ExportResult,
  ExportRow,
  ExportSink,
  ExportWarning,
  ExportWatch,
  LocationOutput,
  RejectedRow,
} from './types.js';

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
   * Rows the sort may hold in memory, all locations together, before the largest holder writes a
   * sorted run to disk; tests make it tiny to exercise the merge. Default: no row limit, only
   * the byte budget of {@link SortBudget}.
   */
  sortMemoryRows?: number | undefined;
  /** Stops the export (time limit, SIGTERM): it throws the signal's reason at the next entry. */
  signal?: AbortSignal | undefined;
  /** Told the duplicate and one-site fates of a few entries' rows (`adsync explain`). */
  watch?: ExportWatch | undefined;
  /**
   * The last push, indexed: a unique value several rows hold stays with the row that held it
   * there. Without it (a first push, `check`) nobody held anything, and every such row loses it.
   */
  history?: KeyHistory | undefined;
}

/**
 * Read every location from the directory, map and validate each person, and send the valid rows
 * to the sink in their deterministic order. Memory does not grow with the directory: each
 * location's rows are sorted in bounded runs on disk and merged, duplicates are found with
 * compact hashes, and rejected rows are spooled to disk and passed to the sink after the valid
 * ones (only counts and samples of them and of row warnings are kept). Everything is read before the
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
  const work = await mkdtemp(join(options.workDir ?? tmpdir(), '.adsync-work-'));
  try {
    const budget = new SortBudget(options.sortMemoryRows);
    budget.onFirstSpill = tightenHeapForLargeExport;
    const read = await readDirectory(config, work, budget, emit, options.signal, options.watch);
    const settled = await settleLocations(config, read, work, sink, options.watch, options.history);
    return {
      connection: read.connection,
      headers: config.layout.headers,
      ...settled,
      warnings: read.warnings.kept,
      warningsOmitted: read.warnings.omitted,
      entriesRead: read.entriesRead,
      references: read.references,
      searches: read.searches,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A rejected row as the plan needs it: a duplicate's identity or file line tells which contact of
 * the last push it was.
 * @param r the rejected row
 */
export function plannedReject(r: RejectedRow): CurrentRow & RejectFlags {
  return {
    cells: r.cells,
    location: r.location,
    reasons: r.reasons,
    ...(r.duplicate === true ? { duplicate: true } : {}),
    ...(r.displaced === true ? { displaced: true } : {}),
    ...(r.id === undefined ? {} : { id: r.id }),
    ...(r.source === undefined ? {} : { source: r.source }),
  };
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

/** The files and indexes one export streams into, opened in its workspace. */
async function openOutputs(config: ResolvedConfig, options: ExportToFilesOptions, workspace: RunWorkspace) {
  const { layout } = config;
  const { files, previous } = options;
  let index: PreviousIndex | undefined;
  if (previous) {
    index = new PreviousIndex(layout);
    for await (const contact of previous.contacts()) index.add(contact);
  }
  const csv = await CsvFileWriter.create(files.csvPath, layout.headers, { bom: config.output.bom });
  workspace.onDispose(() => csv.abort());
  const planFile = await PlanFileWriter.create(files.planPath, previous === undefined);
  workspace.onDispose(() => planFile.abort());
  const stores = {
    create: planFile,
    pendingUpdate: workspace.buffer('updates-pending'),
    update: workspace.buffer('updates'),
    archive: workspace.buffer('archives'),
    pendingRename: workspace.buffer('renames-pending'),
    rename: workspace.buffer('renames'),
  };
  const planner = new Planner(layout, index, { sample: PLAN_SAMPLE, stores });
  const rejectsCsv = await CsvFileWriter.create(
    files.rejectsPath,
    [...layout.headers, 'Source DN', 'Reasons'],
    {
      bom: config.output.bom,
    },
  );
  workspace.onDispose(() => rejectsCsv.abort());
  const contacts = options.keepContacts ? workspace.buffer('contacts') : undefined;
  return { index, csv, planFile, stores, planner, rejectsCsv, contacts };
}

/** What {@link openOutputs} opened. */
type Outputs = Awaited<ReturnType<typeof openOutputs>>;

/**
 * The sink the export streams its rows into: each valid row to the CSV, the plan and the next
 * state's contact list; each rejected one to the rejects file and the plan. Counts as it goes.
 */
function exportSink(config: ResolvedConfig, out: Outputs, signal: AbortSignal | undefined) {
  const { csv, planFile, stores, planner, rejectsCsv, contacts } = out;
  const emailIndex = config.layout.roles.email;
  const wanted = new Set(config.safety.mustInclude);
  const mustIncludeFound = new Set<string>();
  let rows = 0;
  let rejected = 0;
  const sink: ExportSink = {
    row: async (row) => {
      // A stopped run (time limit, SIGTERM) ends here and removes what it wrote.
      if (++rows % 1000 === 0) signal?.throwIfAborted();
      await csv.write(row.cells);
      const key = planner.add(row);
      contacts?.add(stateContactLine(key, row.location, row.cells, row.id, row.source));
      if (wanted.size > 0 && emailIndex !== undefined) {
        const email = emailKey(row.cells[emailIndex] ?? '');
        if (wanted.has(email)) mustIncludeFound.add(email);
      }
      if (planFile.pending >= LINE_CHUNK) await planFile.flush();
      if (stores.pendingUpdate.pending >= LINE_CHUNK) await stores.pendingUpdate.flush();
      if (stores.pendingRename.pending >= LINE_CHUNK) await stores.pendingRename.flush();
      if (contacts && contacts.pending >= LINE_CHUNK) await contacts.flush();
    },
    rejected: async (r) => {
      // Millions of rejects take a while to write: a stopped run ends here too.
      if (++rejected % 1000 === 0) signal?.throwIfAborted();
      await rejectsCsv.write([...r.cells, r.dn, r.reasons.join('; ')]);
      planner.reject(plannedReject(r));
    },
  };
  return { sink, mustIncludeFound };
}

/** Close every output in order: the CSVs committed, the plan finished and its file written. */
async function closeOutputs(out: Outputs, previous: ExportToFilesOptions['previous']) {
  const { csv, planFile, stores, planner, rejectsCsv, contacts } = out;
  await contacts?.close();
  await stores.pendingUpdate.close();
  await stores.pendingRename.close();
  const written = await csv.commit();
  await rejectsCsv.commit();
  const plan = await planner.finish(previous?.contacts());
  await stores.update.close();
  await stores.archive.close();
  await stores.rename.close();
  await planFile.finish(plan, stores.update, stores.archive, stores.rename);
  return { written, plan };
}

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
  const { signal } = options;
  const workspace = await RunWorkspace.create(options.files);
  try {
    const out = await openOutputs(config, options, workspace);
    const { sink, mustIncludeFound } = exportSink(config, out, signal);
    const result = await exportContacts(config, {
      onEvent: options.onEvent,
      sink,
      workDir: workspace.dir,
      sortMemoryRows: options.sortMemoryRows,
      signal,
      history: out.index,
    });
    const { written, plan } = await closeOutputs(out, options.previous);
    // Stopped meanwhile: the caller has gone; do not leave the working files behind.
    signal?.throwIfAborted();
    return {
      result,
      rows: result.locations.reduce((n, l) => n + l.rows, 0),
      rejected: result.locations.reduce((n, l) => n + l.rejected, result.noLocation.rejected),
      plan,
      csv: written,
      mustIncludeFound,
      contactsFile: out.contacts?.path,
      dispose: () => workspace.dispose(),
    };
  } catch (error) {
    await workspace.fail();
    throw error;
  }
}
