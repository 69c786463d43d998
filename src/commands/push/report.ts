import { ExitCode, type GuardTrip, type PlanCounts } from '../../errors.js';
import type { PushResult } from '../../pipeline/push.js';
import { planCounts } from '../../plan/planner.js';
import type { RunFacts } from '../../schedule/runner.js';
import type { FinishedReport, RunEnding } from '../context.js';
import { planCountsLine } from '../output.js';

/** The `--json` run report: one JSON object on stdout. */
export type RunReport = {
  /** Command that ran. */
  command: string;
  /** ok, or error. */
  status: 'ok' | 'error';
  /** The process exit code. */
  exitCode: number;
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time. */
  durationMs: number;
  /** Whether nothing was uploaded by design. */
  dryRun?: boolean;
  /** CSV written. */
  csvPath?: string;
  /** Rejects written. */
  rejectsPath?: string;
  /** Rows in the CSV. */
  rows?: number;
  /** Rows rejected. */
  rejected?: number;
  /** Rows per location slug ('' = all locations). */
  locations?: Record<string, number>;
  /** Rejected rows per location slug. */
  rejectedByLocation?: Record<string, number>;
  /** Rejected rows that name no configured location (an `extraContacts:` row's mistyped slug). */
  rejectedWithoutLocation?: number;
  /**
   * The first rejected rows of each location, with their reasons (every one is in the rejects
   * file; `rejected` counts them).
   */
  rejectedSample?: { dn: string; location: string; reasons: string[] }[];
  /** Warnings, each with the entry's DN where there is one (of those about rows, the first ones). */
  warnings?: { message: string; dn?: string; location?: string }[];
  /** Warnings about single rows counted and not listed in `warnings`. */
  warningsOmitted?: number;
  /** The directory server used. */
  directory?: {
    url: string;
    tlsVersion: string | null;
    boundAs: string;
    failedOver: { url: string; error: string }[];
  };
  /** Entries read from the directory. */
  entriesRead?: number;
  /** Search references seen and ignored. */
  references?: string[];
  /** The plan against the last good push. */
  plan?: Required<PlanCounts> & {
    path: string;
    locations: Record<string, unknown>;
    archived: { name: string; location: string }[];
    /** The first renames, old → new. */
    renames: { from: string; to: string; dn: string; location: string; toLocation?: string }[];
  };
  /** The upload: the vendor's answer as received. */
  upload?: { status: string; httpStatus: number; summary: unknown };
  /** The safety guards that stopped the run, each with its numbers. */
  guards?: GuardTrip[];
  /** The error, when status is error. */
  error?: {
    code: string;
    message: string;
    hint?: string;
    details?: Record<string, string | number | boolean>;
  };
};

/**
 * The report of a push (also each push step of the demo).
 * @param result what the push did
 * @param startedAt run start
 */
export function pushReport(result: PushResult, startedAt: Date): RunReport {
  return {
    command: 'push',
    status: 'ok',
    exitCode: ExitCode.Ok,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    dryRun: result.dryRun,
    csvPath: result.csvPath,
    rejectsPath: result.rejectsPath,
    rows: result.rows,
    rejected: result.rejected,
    locations: Object.fromEntries(result.locations.map((l) => [l.slug, l.rows])),
    rejectedByLocation: Object.fromEntries(result.locations.map((l) => [l.slug, l.rejected])),
    ...(result.rejectedWithoutLocation > 0
      ? { rejectedWithoutLocation: result.rejectedWithoutLocation }
      : {}),
    rejectedSample: result.rejectedRows,
    ...(result.locations.some((l) => l.extraContacts > 0)
      ? {
          extraContactsByLocation: Object.fromEntries(result.locations.map((l) => [l.slug, l.extraContacts])),
        }
      : {}),
    warnings: result.warnings,
    ...(result.warningsOmitted > 0 ? { warningsOmitted: result.warningsOmitted } : {}),
    directory: {
      url: result.connection.url,
      tlsVersion: result.connection.tlsVersion ?? null,
      boundAs: result.connection.boundAs,
      failedOver: result.connection.failedOver,
    },
    entriesRead: result.entriesRead,
    references: result.references,
    plan: {
      ...planCounts(result.plan),
      path: result.planPath,
      locations: result.plan.locations,
      archived: result.plan.archive.slice(0, 50).map((a) => ({ name: a.name, location: a.location })),
      renames: result.plan.renames.slice(0, 50).map((r) => ({
        from: r.from,
        to: r.to,
        dn: r.dn,
        location: r.location,
        ...(r.toLocation === undefined ? {} : { toLocation: r.toLocation }),
      })),
    },
    ...(result.upload
      ? {
          upload: {
            status: result.upload.status,
            httpStatus: result.upload.httpStatus,
            summary: result.upload.summary,
          },
        }
      : {}),
  };
}

/** A number of a report read back, if it is one. */
const numberAt = (report: FinishedReport, key: string): number | undefined => {
  const value = report?.[key];
  return typeof value === 'number' ? value : undefined;
};

/** The plan counts of a report read back (create, update, archive, unchanged), if it has a plan. */
function planAt(report: FinishedReport): Record<string, number> | undefined {
  const plan = report?.plan;
  if (typeof plan !== 'object' || plan === null) return undefined;
  const counts = new Map<string, unknown>(Object.entries(plan));
  return Object.fromEntries(
    (['create', 'update', 'archive', 'unchanged'] as const).map((k) => {
      const value = counts.get(k);
      return [k, typeof value === 'number' ? value : 0];
    }),
  );
}

/**
 * How a push ends: its rows, plan and CSV on the log's finish line, and a summary for the
 * webhook, read from its {@link RunReport} (a failed push's report has them when it got past
 * its plan); a push that failed before its config loaded still gets its history line.
 * @param dryRun whether the push is a dry run
 */
export function pushEnding(dryRun: boolean): RunEnding {
  return {
    ...PUSH_FACTS,
    failedEarly: (run) => ({
      time: run.startedAt.toISOString(),
      runId: run.runId,
      command: 'push',
      outcome: 'error',
      exitCode: run.exitCode,
      dryRun,
      error: run.error,
    }),
  };
}

const PUSH_FACTS: RunEnding = {
  facts(report) {
    const rows = numberAt(report, 'rows');
    const csvPath = report?.csvPath;
    return {
      ...(rows !== undefined ? { rows, rejected: numberAt(report, 'rejected') } : {}),
      ...(report?.plan !== undefined ? { plan: report.plan } : {}),
      ...(typeof csvPath === 'string' ? { csvPath } : {}),
    };
  },
  summary(report) {
    const plan = planAt(report);
    return plan ? `${numberAt(report, 'rows') ?? 0} rows; ${planCountsLine(plan)}` : undefined;
  },
};

/**
 * What a scheduled push's `--report` file says, for the scheduler's status: its error, rows and
 * plan counts. Undefined for a file that is not a report.
 * @param text the report file's text
 */
export function readPushReport(text: string): RunFacts | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const report: FinishedReport = Object.fromEntries(Object.entries(parsed));
  const error = report.error;
  const message =
    typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
      ? error.message
      : undefined;
  return { message, rows: numberAt(report, 'rows'), plan: planAt(report) };
}
