import type { ResolvedConfig } from '../config/types.js';
import { runFiles, runStamp, type RunFiles } from '../csv/writer.js';
import { basename } from 'node:path';

import { AdsyncError, GuardError, LockError, UploadError, UsageError } from '../errors.js';
import { ownFileAt } from '../config/own-files.js';
import { redactValues } from '../config/secrets.js';
import { notReplaceable } from '../io/atomic-file.js';
import { planCounts } from '../plan/planner.js';
import { openLastPush, type PreviousPush } from '../state/baseline.js';
import { recordBaseline } from './record-baseline.js';
import { recordRun, runTarget, type HistoryEntry } from '../state/history.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir } from '../state/paths.js';
import { targetOf } from '../targets/registry.js';
import type { Delivery } from '../targets/types.js';
import { untilStopped } from '../util/until-stopped.js';
import { resolveTargetState, type TargetState } from './target-state.js';
import { exportToFiles, type ExportWarning } from './export.js';
import { stopAtGuards } from './guard-stop.js';
import type { PushOptions, PushResult } from './push-types.js';
import { pruneRuns } from './run-files.js';

export type { LocationSummary, PushOptions, PushResult } from './push-types.js';

/**
 * The main job: read the directory, map and validate, write the CSV and the rejects file, plan
 * against the last good push, check the guards, and upload. `--dry-run` and a real push share
 * this one path; a dry run stops before the upload (and takes no lock: it changes no state).
 * @param config the resolved config
 * @param options dry run, output file, approvals, progress
 */
export async function push(config: ResolvedConfig, options: PushOptions): Promise<PushResult> {
  // The target's settings are checked before the directory is read: a config problem stops the
  // run before anything is done.
  const delivery = options.dryRun
    ? undefined
    : targetOf(config).prepare({
        insecureHttp: options.insecureHttp ?? false,
        env: options.env ?? process.env,
      });
  const stateDirWarning = await ensureStateDir(config.stateDir);
  const paths = await resolveTargetState(config);
  const started = options.now ?? new Date();
  // History lines can carry vendor messages: they pass through the same redaction as output.
  const redact = options.redact ?? ((text: string): string => text);
  const history: HistoryEntry = {
    time: started.toISOString(),
    ...(options.runId === undefined ? {} : { runId: options.runId }),
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
      delivery,
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
    for (const warning of [stateDirWarning, problem])
      if (warning === undefined) continue;
      else if (told instanceof AdsyncError) told.warnings.push(warning);
      else told?.warnings.push({ message: warning });
    await lock?.release();
  }
}

async function run(
  config: ResolvedConfig,
  options: PushOptions,
  ctx: RunContext & { started: Date },
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
      keepContacts: ctx.delivery !== undefined,
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

/** What {@link run} and the steps after the export share. */
interface RunContext {
  delivery: Delivery | undefined;
  paths: TargetState;
  history: HistoryEntry;
  tookOver?: string;
}

/** The export's outcome as the steps after it read it. */
type Exported = Awaited<ReturnType<typeof exportToFiles>>;

/** What the run knows before the delivery: a guard stop and a dry run report the same. */
function knownResult(
  options: PushOptions,
  ctx: RunContext,
  files: RunFiles,
  exported: Exported,
  pruned: string[],
): PushResult {
  const { result, plan } = exported;
  return {
    dryRun: options.dryRun,
    ...files,
    plan,
    ...(ctx.tookOver ? { staleLockTakenOver: ctx.tookOver } : {}),
    rows: exported.rows,
    rejected: exported.rejected,
    locations: result.locations.map((l) => ({
      slug: l.slug,
      rows: l.rows,
      rejected: l.rejected,
      extraContacts: l.extraContacts,
    })),
    rejectedWithoutLocation: result.noLocation.rejected,
    warnings: result.warnings,
    warningsOmitted: result.warningsOmitted,
    rejectedRows: [...result.locations, result.noLocation].flatMap((l) =>
      l.rejectedSample.map(({ dn, location, reasons }) => ({ dn, location, reasons })),
    ),
    connection: result.connection,
    entriesRead: result.entriesRead,
    references: result.references,
    pruned,
  };
}

/**
 * Deliver the planned file through the target and, once the vendor has accepted it, move the
 * baseline. Throws what the vendor's answer makes of the run (nothing imported, far from the
 * plan, rows refused), each after the baseline step its case allows.
 */
async function deliverAndRecord(
  delivery: Delivery,
  options: PushOptions,
  ctx: RunContext,
  exported: Exported,
  known: PushResult,
): Promise<PushResult> {
  const { plan, result } = exported;
  const counts = planCounts(plan);
  const delivered = await delivery.deliver(
    {
      file: {
        name: basename(known.csvPath),
        path: known.csvPath,
        sha256: exported.csv.sha256,
        size: exported.csv.bytes,
      },
      plan,
      counts,
      rows: exported.rows,
    },
    {
      onEvent: options.onUploadEvent,
      onToken: options.onToken ?? ((): void => undefined),
      signal: options.signal,
    },
  );
  const done: PushResult = { ...known, upload: { status: 'uploaded', ...delivered.receipt } };
  ctx.history.vendor = delivered.excerpt;
  // The baseline stays: the vendor holds what it held before, as far as it says.
  if (delivered.unconfirmed) throw delivered.unconfirmed;
  for (const message of delivered.differences) known.warnings.push({ message });
  if (exported.contactsFile !== undefined) {
    // Rows the vendor could not import are not at the vendor: keep them out of the baseline.
    const failed = new Set(delivered.refusedRows.map((e) => e.row - 2));
    // Only now, with the vendor's acceptance, does the baseline move.
    await recordBaseline(ctx.paths, {
      onFailure: () => options.onStopped?.(done),
      summary: {
        time: new Date().toISOString(),
        csvSha256: exported.csv.sha256,
        headers: result.headers,
        rows: Object.fromEntries(known.locations.map((l) => [l.slug, l.rows])),
        searches: result.searches,
        account: { profile: ctx.paths.account.profile, uploadUrl: ctx.paths.account.uploadUrl },
        total: exported.rows,
      },
      contactsFile: exported.contactsFile,
      failed,
      told: `read ${result.entriesRead} entries, ${exported.rows} rows; plan ${counts.create} create, ${counts.update} update, ${counts.archive} archive; the vendor answered ${delivered.receipt.httpStatus}`,
    });
  }
  if (delivered.beyondPlan) {
    options.onStopped?.(done);
    throw delivered.beyondPlan;
  }
  const refused = delivered.refusedRows;
  if (refused.length > 0) {
    throw new UploadError(
      'UPLOAD_PARTIAL',
      `the vendor imported the file but rejected ${refused.length} row(s): ${refused
        .slice(0, 5)
        .map((e) => `row ${e.row}: ${e.message}`)
        .join('; ')}`,
      {
        hint: `Those contacts are not at the vendor (it may archive them). Fix the rows (CSV: ${known.csvPath}) and push again.`,
        details: { csvPath: known.csvPath, rejectedByVendor: refused.length },
      },
    );
  }
  return done;
}

/** The steps after the export: history facts, the guards, and the delivery of a real push. */
async function finishRun(
  config: ResolvedConfig,
  options: PushOptions,
  ctx: RunContext,
  files: RunFiles,
  previous: PreviousPush | undefined,
  exported: Exported,
): Promise<PushResult> {
  const pruned = options.output === undefined ? await pruneRuns(config.output.dir, config.output.keep) : [];
  Object.assign(ctx.history, {
    csvPath: files.csvPath,
    planPath: files.planPath,
    rows: exported.rows,
    rejected: exported.rejected,
    plan: planCounts(exported.plan),
  });
  const known = knownResult(options, ctx, files, exported, pruned);
  // Without the client id a dry run cannot know the vendor account for sure.
  if (ctx.paths.note !== undefined) known.warnings.push({ message: ctx.paths.note });
  stopAtGuards(config, options, { state: ctx.paths.state, history: ctx.history }, previous, exported, known);
  options.signal?.throwIfAborted();
  if (!ctx.delivery) return known;
  options.onPlanned?.(known);
  return deliverAndRecord(ctx.delivery, options, ctx, exported, known);
}
