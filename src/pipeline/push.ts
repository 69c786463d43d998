import type { ResolvedConfig } from '../config/types.js';
import { runFiles, runStamp } from '../csv/writer.js';
import { basename } from 'node:path';

import { AdsyncError, GuardError, LockError, UploadError, UsageError } from '../errors.js';
import { ownFileAt } from '../config/own-files.js';
import { redactValues } from '../config/secrets.js';
import { notReplaceable } from '../io/atomic-file.js';
import { noBaselineHint, noBaselineTrip } from '../plan/first-push.js';
import { approvalHint, checkGuards } from '../plan/guards.js';
import { planCounts, type Plan } from '../plan/planner.js';
import { openLastPush } from '../state/baseline.js';
import { recordBaseline } from './record-baseline.js';
import { recordRun, runTarget, type HistoryEntry } from '../state/history.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir } from '../state/paths.js';
import { uploadCsv, type UploadEvent } from '../upload/client.js';
import { uploadSettings, type UploadSettings } from '../upload/settings.js';
import {
  compareWithPlan,
  importedNothingMessage,
  summaryExcerpt,
  vendorRowErrors,
} from '../upload/vendor-summary.js';
import { vendorAnswerError } from '../upload/vendor-verdict.js';
import type { ConnectionInfo } from '../directory/types.js';
import { untilStopped } from '../util/until-stopped.js';
import { resolveTargetState, type TargetState } from './target-state.js';
import { exportToFiles, type ExportEvent, type ExportWarning } from './export.js';
import { pruneRuns } from './run-files.js';

/** Options for {@link push}. */
export interface PushOptions {
  /** Stop before the upload. */
  dryRun: boolean;
  /** Explicit CSV path (`--output`). */
  output?: string | undefined;
  /** Run start, for file names. */
  now?: Date;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Allow http:// upload URLs on loopback. */
  insecureHttp?: boolean;
  /** Environment (HTTPS_PROXY, NO_PROXY). */
  env?: NodeJS.ProcessEnv;
  /** Upload progress. */
  onUploadEvent?: ((event: UploadEvent) => void) | undefined;
  /** Told every token, so output can redact it. */
  onToken?: (token: string) => void;
  /** `--allow-archive N`: approve up to N archives for this run. */
  allowArchive?: number | undefined;
  /** `--allow-rename N`: approve up to N renames (new email or SMS phone) for this run. */
  allowRename?: number | undefined;
  /** `--force`: skip the guards (not the first-push one: see `firstPush`). */
  force?: boolean;
  /**
   * `--first-push`: approve a push with no baseline (the vendor archives every contact it holds
   * that is not in the file, and adsync cannot know who). Refused when there is a baseline.
   */
  firstPush?: boolean;
  /**
   * Told everything the run knew when it stopped after the plan (files, counts, warnings, plan,
   * and the upload when there was one): a safety guard, or a failure after the vendor accepted
   * the upload. Told just before the error is thrown: its report and summary keep them.
   */
  onStopped?: ((result: PushResult) => void) | undefined;
  /** Redaction applied to what is written to the run history. */
  redact?: ((text: string) => string) | undefined;
  /**
   * Stops the run (time limit, SIGTERM): the directory read is abandoned, an upload in flight is
   * aborted, and the baseline is left as it was. Once the vendor has accepted the upload, the
   * run finishes (recording the new baseline is quick and must not be lost).
   */
  signal?: AbortSignal | undefined;
}

/** Per-location counts. */
export interface LocationSummary {
  /** Slug ('' = all locations). */
  slug: string;
  /** Rows written. */
  rows: number;
  /** Rows rejected. */
  rejected: number;
  /** Of the rows written, those from `extraContacts:` files. */
  extraContacts: number;
}

/** What a push did. */
export interface PushResult {
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** The CSV written. */
  csvPath: string;
  /** The rejects CSV written. */
  rejectsPath: string;
  /** Rows in the CSV. */
  rows: number;
  /** Rows rejected. */
  rejected: number;
  /** Per location, in output order. */
  locations: LocationSummary[];
  /** Warnings about contacts (of those about single rows, the first ROW_WARNING_SAMPLE). */
  warnings: ExportWarning[];
  /** Warnings about single rows not in {@link PushResult.warnings} (counted only). */
  warningsOmitted: number;
  /**
   * Who was rejected and why: the first REJECT_SAMPLE rows of each location (every one, with its
   * cells, is in the rejects file; {@link PushResult.rejected} counts them).
   */
  rejectedRows: { dn: string; location: string; reasons: string[] }[];
  /** The directory server used. */
  connection: ConnectionInfo;
  /** Directory entries read. */
  entriesRead: number;
  /** Search references ignored. */
  references: string[];
  /** Old run files removed by retention. */
  pruned: string[];
  /** The upload, unless this was a dry run. */
  upload?: { status: 'uploaded'; httpStatus: number; summary: unknown; attempts: number };
  /** What the push does at the vendor, against the last good push. */
  plan: Plan;
  /** The plan file. */
  planPath: string;
  /** A stale lock that this run took over. */
  staleLockTakenOver?: string;
}

/**
 * The main job: read the directory, map and validate, write the CSV and the rejects file, plan
 * against the last good push, check the guards, and upload. `--dry-run` and a real push share
 * this one path; a dry run stops before the upload (and takes no lock: it changes no state).
 * @param config the resolved config
 * @param options dry run, output file, approvals, progress
 */
export async function push(config: ResolvedConfig, options: PushOptions): Promise<PushResult> {
  // Upload settings are checked before the directory is read: a config problem stops the run
  // before anything is done.
  const upload = options.dryRun
    ? undefined
    : uploadSettings(config, {
        insecureHttp: options.insecureHttp ?? false,
        env: options.env ?? process.env,
      });
  await ensureStateDir(config.stateDir);
  const paths = await resolveTargetState(config);
  const started = options.now ?? new Date();
  // History lines can carry vendor messages: they pass through the same redaction as output.
  const redact = options.redact ?? ((text: string): string => text);
  const history: HistoryEntry = {
    time: started.toISOString(),
    command: 'push',
    outcome: 'error',
    exitCode: 1,
    dryRun: options.dryRun,
    target: runTarget(
      {
        profile: config.layout.profile,
        uploadUrl: config.target.uploadUrl,
        clientId: config.target.clientId,
      },
      paths.state,
      redact,
    ),
  };
  let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
  // Where a history line that cannot be written is told: the result, or the error.
  let told: { warnings: ExportWarning[] } | AdsyncError | undefined;
  try {
    // Inside the try: a run refused by the lock (exit 4) is recorded like any other.
    lock = options.dryRun ? undefined : await acquireLock(paths.lock, config.safety.lockTimeoutMinutes);
    const result = await run(config, options, {
      upload,
      paths,
      started,
      history,
      ...(lock?.tookOver ? { tookOver: lock.tookOver } : {}),
    });
    history.outcome = options.dryRun ? 'dry-run' : 'uploaded';
    history.exitCode = 0;
    told = result;
    return result;
  } catch (error) {
    if (error instanceof AdsyncError) {
      told = error;
      history.exitCode = error.exitCode;
      history.outcome =
        error instanceof GuardError ? 'guard' : error instanceof LockError ? 'locked' : 'error';
    }
    history.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    const problem = await recordRun(paths.history, redactValues(history, redact));
    if (problem !== undefined)
      if (told instanceof AdsyncError) told.warnings.push(problem);
      else told?.warnings.push({ message: problem });
    await lock?.release();
  }
}

/** The first contacts a plan would archive, for the guard message. */
function archiveSample(plan: Plan): string {
  if (plan.totals.archive === 0) return '';
  const names = plan.archive
    .slice(0, 10)
    .map((a) => `${a.name}${a.rejectedBecause ? ' (row rejected)' : ''}`);
  const renames = plan.renames.slice(0, 5).map((r) => `${r.from} → ${r.to}`);
  const renamed =
    plan.totals.rename > 0
      ? ` ${plan.totals.rename} of them ${plan.totals.rename === 1 ? 'is a rename' : 'are renames'}: ${renames.join(', ')}${plan.totals.rename > 5 ? `, … (${plan.totals.rename - 5} more)` : ''}.`
      : '';
  return `Would archive: ${names.join(', ')}${plan.totals.archive > 10 ? `, … (${plan.totals.archive - 10} more)` : ''}.${renamed} `;
}

async function run(
  config: ResolvedConfig,
  options: PushOptions,
  ctx: {
    upload: UploadSettings | undefined;
    paths: TargetState;
    started: Date;
    history: HistoryEntry;
    tookOver?: string;
  },
): Promise<PushResult> {
  const previous = ctx.paths.readFrom === undefined ? undefined : await openLastPush(ctx.paths.readFrom);
  if (previous !== undefined && options.firstPush === true) {
    throw new UsageError(
      `--first-push: there is a baseline for this vendor account (the last good push, ${previous.time}), so this is not a first push`,
      {
        hint: 'Run the push without --first-push: it is planned and guarded against that baseline. Take --first-push out of any scheduled command, so a lost baseline can never be pushed over unguarded.',
      },
    );
  }
  const files = runFiles({
    dir: config.output.dir,
    output: options.output,
    profile: config.layout.profile,
    stamp: runStamp(ctx.started),
  });
  if (options.output !== undefined) {
    for (const path of [files.csvPath, files.rejectsPath, files.planPath]) {
      const own = await ownFileAt(path, config);
      if (own !== undefined) {
        throw new UsageError(`--output: ${path} is ${own}; adsync never writes a run's files there`, {
          hint: 'Name a new file for --output outside the state directory (or an earlier CSV of adsync to replace); its rejects and plan files go beside it.',
          details: { option: '--output' },
        });
      }
    }
    for (const path of [files.csvPath, files.rejectsPath]) {
      const reason = await notReplaceable(path);
      if (reason !== undefined) {
        throw new UsageError(`--output: ${reason}`, {
          hint: 'Name a new file for --output (or an existing CSV to replace); its rejects file goes beside it.',
        });
      }
    }
  }
  // Rows stream into the CSV, the plan and (for a real push) the next state's contact list; the
  // CSV's hash is taken as it is written.
  const exported = await untilStopped(
    exportToFiles(config, {
      files,
      previous,
      keepContacts: ctx.upload !== undefined,
      onEvent: options.onEvent,
      signal: options.signal,
    }),
    options.signal,
  );
  try {
    return await finishRun(config, options, ctx, files, previous, exported);
  } finally {
    await exported.dispose();
  }
}

async function finishRun(
  config: ResolvedConfig,
  options: PushOptions,
  ctx: {
    upload: UploadSettings | undefined;
    paths: TargetState;
    history: HistoryEntry;
    tookOver?: string;
  },
  files: ReturnType<typeof runFiles>,
  previous: Awaited<ReturnType<typeof openLastPush>>,
  exported: Awaited<ReturnType<typeof exportToFiles>>,
): Promise<PushResult> {
  const { result, plan } = exported;
  const pruned = options.output === undefined ? await pruneRuns(config.output.dir, config.output.keep) : [];
  const counts = planCounts(plan);
  Object.assign(ctx.history, {
    csvPath: files.csvPath,
    planPath: files.planPath,
    rows: exported.rows,
    rejected: exported.rejected,
    plan: counts,
  });

  const locations = result.locations.map((l) => ({
    slug: l.slug,
    rows: l.rows,
    rejected: l.rejected,
    extraContacts: l.extraContacts,
  }));
  // What the run knows before the upload: the guard stop and the dry run report the same.
  const known: PushResult = {
    dryRun: options.dryRun,
    ...files,
    plan,
    ...(ctx.tookOver ? { staleLockTakenOver: ctx.tookOver } : {}),
    rows: exported.rows,
    rejected: exported.rejected,
    locations,
    warnings: result.warnings,
    warningsOmitted: result.warningsOmitted,
    rejectedRows: result.locations.flatMap((l) =>
      l.rejectedSample.map(({ dn, location, reasons }) => ({ dn, location, reasons })),
    ),
    connection: result.connection,
    entriesRead: result.entriesRead,
    references: result.references,
    pruned,
  };

  const trips = checkGuards(
    plan,
    previous,
    {
      emails: exported.mustIncludeFound,
      searches: result.searches,
      extras: Object.fromEntries(locations.map((l) => [l.slug, l.extraContacts])),
    },
    {
      ...config.safety,
      allowArchive: options.allowArchive,
      allowRename: options.allowRename,
      force: options.force ?? false,
    },
  );
  // Without the client id a dry run cannot know the vendor account for sure.
  if (ctx.paths.note !== undefined) known.warnings.push({ message: ctx.paths.note });
  // A dry run is never dangerous: it says what the push would need, and goes on.
  const unguarded = previous === undefined && options.firstPush !== true;
  if (unguarded && options.dryRun)
    known.warnings.push({
      message: `there is no baseline for this vendor account, so a real push stops (exit 3) until the CSV the vendor last received is adopted (\`adsync adopt FILE\`) or the first push is approved (\`--first-push\`)`,
    });
  const stops =
    unguarded && !options.dryRun ? [noBaselineTrip(exported.rows, ctx.paths.state), ...trips] : trips;
  if (stops.length > 0) {
    ctx.history.guards = stops.map((t) => t.message);
    options.onStopped?.(known);
    const approve = trips.length > 0 ? approvalHint(trips, plan.totals, options) : '';
    throw new GuardError(
      `${options.dryRun ? 'this push would be stopped by a safety guard' : 'a safety guard stopped the push; nothing was uploaded'}:\n${stops.map((t) => `  - ${t.guard}: ${t.message}`).join('\n')}`,
      {
        hint:
          stops.length > trips.length
            ? `${noBaselineHint(files.csvPath)}${approve ? ` ${approve}` : ''}`
            : `${archiveSample(plan)}Review the plan in ${files.planPath} (and the CSV ${files.csvPath}). ${approve}`,
        details: {
          trips: stops,
          plan: counts,
          planPath: files.planPath,
          csvPath: files.csvPath,
          rejectsPath: files.rejectsPath,
        },
      },
    );
  }

  options.signal?.throwIfAborted();
  // The bytes uploaded are the bytes just written and planned: streamed from the file, hashed
  // on the way, and refused before the last byte goes out if they differ.
  const uploaded = ctx.upload
    ? await uploadCsv(
        ctx.upload,
        {
          name: basename(files.csvPath),
          path: files.csvPath,
          sha256: exported.csv.sha256,
          size: exported.csv.bytes,
        },
        {
          onEvent: options.onUploadEvent,
          onToken: options.onToken ?? ((): void => undefined),
          signal: options.signal,
        },
      )
    : undefined;
  let vendorRejected: { row: number; message: string }[] = [];
  if (uploaded && exported.contactsFile !== undefined) {
    // An excerpt: the answer may be a megabyte, and the history keeps one line a run.
    ctx.history.vendor = summaryExcerpt(uploaded.summary);
    const verdict = compareWithPlan(uploaded.summary, counts, exported.rows);
    if (verdict.importedNothing) {
      // The baseline stays: the vendor holds what it held before, as far as it says.
      throw new UploadError('UPLOAD_UNCONFIRMED', importedNothingMessage(verdict, exported.rows), {
        hint: `The baseline did not move. Check the vendor's import log for this upload (CSV: ${files.csvPath}) and the account target.uploadUrl points to, then push again.`,
        details: { csvPath: files.csvPath, httpStatus: uploaded.httpStatus },
      });
    }
    for (const message of verdict.differences) known.warnings.push({ message });
    vendorRejected = vendorRowErrors(uploaded.summary);
    // Rows the vendor could not import are not at the vendor: keep them out of the baseline.
    const failed = new Set(vendorRejected.map((e) => e.row - 2));
    // Only now, with the vendor's acceptance, does the baseline move.
    await recordBaseline(ctx.paths, {
      onFailure: () => options.onStopped?.({ ...known, upload: { status: 'uploaded', ...uploaded } }),
      summary: {
        time: new Date().toISOString(),
        csvSha256: exported.csv.sha256,
        headers: result.headers,
        rows: Object.fromEntries(locations.map((l) => [l.slug, l.rows])),
        searches: result.searches,
        account: { profile: ctx.paths.account.profile, uploadUrl: ctx.paths.account.uploadUrl },
        total: exported.rows,
      },
      contactsFile: exported.contactsFile,
      failed,
      told: `read ${result.entriesRead} entries, ${exported.rows} rows; plan ${counts.create} create, ${counts.update} update, ${counts.archive} archive; the vendor answered ${uploaded.httpStatus}`,
    });
    const farOff = vendorAnswerError(verdict, counts, {
      csvPath: files.csvPath,
      httpStatus: uploaded.httpStatus,
    });
    if (farOff) {
      options.onStopped?.({ ...known, upload: { status: 'uploaded', ...uploaded } });
      throw farOff;
    }
  }
  if (vendorRejected.length > 0) {
    throw new UploadError(
      'UPLOAD_PARTIAL',
      `the vendor imported the file but rejected ${vendorRejected.length} row(s): ${vendorRejected
        .slice(0, 5)
        .map((e) => `row ${e.row}: ${e.message}`)
        .join('; ')}`,
      {
        hint: `Those contacts are not at the vendor (it may archive them). Fix the rows (CSV: ${files.csvPath}) and push again.`,
        details: { csvPath: files.csvPath, rejectedByVendor: vendorRejected.length },
      },
    );
  }
  return uploaded ? { ...known, upload: { status: 'uploaded' as const, ...uploaded } } : known;
}
