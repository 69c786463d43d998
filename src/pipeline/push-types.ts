import type { ConnectionInfo } from '../directory/types.js';
import type { Plan } from '../plan/planner.js';
import type { DeliveryEvent } from '../targets/types.js';
import type { ExportEvent, ExportWarning } from './export.js';

/** Options for {@link push}. */
export interface PushOptions {
  /** Stop before the upload. */
  dryRun: boolean;
  /** Explicit CSV path (`--output`). */
  output?: string | undefined;
  /** Run start, for file names. */
  now?: Date;
  /** The run's id, recorded in the history so `diff` can name the run. */
  runId?: string | undefined;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Allow http:// upload URLs on loopback. */
  insecureHttp?: boolean;
  /** Environment (HTTPS_PROXY, NO_PROXY). */
  env?: NodeJS.ProcessEnv;
  /** Upload progress. */
  onUploadEvent?: ((event: DeliveryEvent) => void) | undefined;
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
  /**
   * Told what the push read and planned once the guards passed, just before it is delivered: the
   * counts and the plan can be shown before the delivery's own lines (retries, the vendor's
   * answer), and are known to a run stopped during the upload.
   */
  onPlanned?: ((result: PushResult) => void) | undefined;
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
  /** Of the rows rejected, those that name no configured location (no location's rejects). */
  rejectedWithoutLocation: number;
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
