import { ExitCode, type GuardTrip, type PlanCounts } from '../../errors.js';
import type { PushResult } from '../../pipeline/push.js';
import { planCounts } from '../../plan/planner.js';

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
