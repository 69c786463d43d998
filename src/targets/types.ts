import type { AdsyncError, PlanCounts } from '../errors.js';
import type { Plan } from '../plan/planner.js';
import type { UploadEvent } from '../upload/client.js';
import type { VendorCheck, VendorCheckOptions } from '../upload/vendor-check.js';

/**
 * What the pipeline asks of a vendor target: a delivery for a push, and a check. The plan, the
 * guards, the files and the baseline are the same for every target; only how the address book
 * reaches the vendor, and how its answer is judged, differ (a CSV upload today; a SCIM API would
 * be another folder of src/targets).
 */

/** What a run's command line and environment add to the config for a delivery. */
export interface TargetEnvironment {
  /** `--insecure-http`: allow http:// endpoints on loopback. */
  insecureHttp: boolean;
  /** Environment (HTTPS_PROXY, NO_PROXY). */
  env: NodeJS.ProcessEnv;
}

/** The address book of one push, as written and planned. */
export interface DeliveryInput {
  /** The CSV written (the bytes planned): its name, path, SHA-256 and size. */
  file: { name: string; path: string; sha256: string; size: number };
  /** The plan against the last good push (who is created, updated, renamed, archived). */
  plan: Plan;
  /** The plan's counts. */
  counts: Required<PlanCounts>;
  /** Rows in the file. */
  rows: number;
}

/** Progress and redaction hooks of a delivery. */
export interface DeliveryHooks {
  /** Progress (token, attempt, retry), for the terminal and logs. */
  onEvent?: ((event: DeliveryEvent) => void) | undefined;
  /** Told every token, so output can redact it. */
  onToken: (token: string) => void;
  /** Aborts the delivery (time limit, SIGTERM). */
  signal?: AbortSignal | undefined;
}

/** Progress of a delivery (never with secrets). */
export type DeliveryEvent = UploadEvent;

/** What the vendor answered, as the report keeps it. */
export interface DeliveryReceipt {
  /** The status the vendor accepted the delivery with. */
  httpStatus: number;
  /** The vendor's answer (parsed JSON or text). */
  summary: unknown;
  /** Attempts made. */
  attempts: number;
}

/**
 * A delivery the vendor accepted, judged against the plan. The pipeline moves the baseline unless
 * `unconfirmed` is set, and ends the run with `beyondPlan` or the refused rows after that.
 */
export interface Delivered {
  /** The vendor's answer. */
  receipt: DeliveryReceipt;
  /** An excerpt of the answer for the run history (one line a run). */
  excerpt: unknown;
  /** The vendor says it imported nothing: the error to end the run with, the baseline unmoved. */
  unconfirmed: AdsyncError | undefined;
  /** Where the vendor's counts differ from the plan, as warnings. */
  differences: string[];
  /** Rows the vendor refused (file line numbers, the header being line 1), kept out of the baseline. */
  refusedRows: { row: number; message: string }[];
  /** The vendor did far more than planned (archived more): the error to end the run with. */
  beyondPlan: AdsyncError | undefined;
}

/** A delivery whose settings were checked before anything was read. */
export interface Delivery {
  /**
   * Send the planned address book and judge the vendor's answer against the plan.
   * @param input the file, the plan and its counts
   * @param hooks progress, token redaction, abort
   * @throws {AdsyncError} when the vendor did not accept it (nothing was imported)
   */
  deliver(input: DeliveryInput, hooks: DeliveryHooks): Promise<Delivered>;
}

/** A vendor target. */
export interface Target {
  /**
   * The delivery of a real push, its settings checked first: a ConfigError (exit 2) names what is
   * missing before the directory is read.
   * @param environment `--insecure-http` and the environment
   */
  prepare(environment: TargetEnvironment): Delivery;
  /**
   * What `adsync check` learns of the vendor without sending an address book.
   * @param options `--insecure-http`, the environment, token redaction
   */
  check(options: VendorCheckOptions): Promise<VendorCheck>;
}
