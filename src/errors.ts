/**
 * The one error family of adsync. Every failure the user can act on is an {@link AdsyncError}
 * with a machine `code`, a human `message`, a `hint` saying what to do, and the library error
 * it wraps as `cause`. Only `src/cli` turns these into text and exit codes.
 */

/** Exit codes, as documented in the README. */
export const ExitCode = {
  Ok: 0,
  Runtime: 1,
  Config: 2,
  Guard: 3,
  Locked: 4,
} as const;

/** One of the documented process exit codes. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Machine-readable error codes. The prefix says which family (and exit code) an error belongs to. */
export type ErrorCode =
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_SYNTAX'
  | 'CONFIG_INVALID'
  | 'CONFIG_SECRET'
  | 'CONFIG_EXISTS'
  | 'CONFIG_EXTRA_CONTACTS'
  | 'CONFIG_ADOPT'
  | 'CONFIG_STATE_VERSION'
  | 'USAGE'
  | 'NOT_AVAILABLE'
  | 'LDAP_CONNECT'
  | 'LDAP_TLS'
  | 'LDAP_BIND'
  // Kerberos failed on this side (no ticket, clock skew, an SPN the KDC does not know…).
  | 'LDAP_KERBEROS'
  // The server does not offer the SASL mechanism `auth` asks for (EXTERNAL, GSSAPI).
  | 'LDAP_AUTH_METHOD'
  // The bind succeeded, but as an identity that is no entry of the directory (a client
  // certificate the server did not map) or as nobody at all.
  | 'LDAP_IDENTITY'
  | 'LDAP_SEARCH'
  | 'LDAP_NO_SUCH_OBJECT'
  | 'LDAP_SIZE_LIMIT'
  | 'LDAP_TIMEOUT'
  | 'LDAP_ACCESS'
  | 'LDAP_LDIF'
  // The server's answers contradict themselves (a paging cookie that does not advance, a ranged
  // read that never ends, entries outside the search): not a limit a setting could raise.
  | 'LDAP_SERVER_BUG'
  | 'OUTPUT_WRITE'
  | 'STATE_DAMAGED'
  | 'GUARD_TRIPPED'
  | 'LOCKED'
  | 'UPLOAD_AUTH'
  | 'UPLOAD_REJECTED'
  | 'UPLOAD_PARTIAL'
  | 'UPLOAD_UNCONFIRMED'
  | 'UPLOAD_FAILED'
  | 'UPLOAD_TLS'
  | 'VENDOR_ARCHIVED_MORE'
  | 'VENDOR_CREATED_FEWER'
  | 'RUN_TIMEOUT'
  | 'RUN_INTERRUPTED'
  | 'SCHEDULE_INSTALL';

/** One value of the JSON report's error details. */
export type DetailValue = string | number | boolean;

/** Structured facts as the JSON report shows them: flat, never secrets. */
export type ReportDetails = Readonly<Record<string, DetailValue>>;

/**
 * Options accepted by every {@link AdsyncError}.
 * @typeParam D the error's details (see each subclass)
 */
export interface AdsyncErrorOptions<D extends object = ReportDetails> {
  /** What the user should do about it; one or two sentences. */
  hint?: string;
  /** The underlying error (kept for `--verbose`, never shown by default). */
  cause?: unknown;
  /** Extra structured facts (never secrets), typed per error class. */
  details?: D;
}

const isDetailValue = (entry: [string, unknown]): entry is [string, DetailValue] =>
  typeof entry[1] === 'string' || typeof entry[1] === 'number' || typeof entry[1] === 'boolean';

/** Base class: never thrown directly, use a subclass so the exit code follows from the type. */
export abstract class AdsyncError extends Error {
  /** Machine-readable code. */
  public readonly code: ErrorCode;
  /** What to do about it. */
  public readonly hint: string | undefined;
  /** Structured facts; each subclass says which ({@link AdsyncError.reportDetails} for JSON). */
  public readonly details: object | undefined;
  /** The process exit code this error leads to. */
  public abstract readonly exitCode: ExitCodeValue;
  /**
   * Problems met on the way out that did not change the outcome (a history line that could not be
   * written): shown and reported beside the error, so they are not lost with the run.
   */
  public readonly warnings: string[] = [];
  /** What the run knew when it stopped (files, counts, plan): its report keeps it. */
  private partial: Readonly<Record<string, unknown>> | undefined;

  protected constructor(code: ErrorCode, message: string, options: AdsyncErrorOptions<object> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
    this.name = new.target.name;
  }

  /**
   * Keep what the run knew when it stopped, so its report has it beside the error (a guard stop
   * still reports the CSV, the counts and the plan). Returns the error, to be thrown again.
   * @param report fields of the command's report
   */
  public withReport(report: Readonly<Record<string, unknown>>): this {
    this.partial = report;
    return this;
  }

  /** The fields kept by {@link AdsyncError.withReport}, if any. */
  public get report(): Readonly<Record<string, unknown>> | undefined {
    return this.partial;
  }

  /** The details as the JSON report shows them: the flat values of {@link AdsyncError.details}. */
  public reportDetails(): ReportDetails | undefined {
    return this.details === undefined
      ? undefined
      : Object.fromEntries(Object.entries(this.details).filter(isDetailValue));
  }
}

/** One guard that tripped (see plan/guards.ts), with the numbers that apply to it. */
export interface GuardTrip {
  /** Which guard. */
  guard: string;
  /** What would have happened, with the numbers. */
  message: string;
  /** The location slug ('' = the account without locations); absent for all locations together. */
  location?: string;
  /** Contacts the plan would archive. */
  archive?: number;
  /** Renames: among the archives (archive guards), or the renames themselves (rename guards). */
  rename?: number;
  /** Contacts the vendor held there after the last good push. */
  total?: number;
  /** `archive` as a percentage of `total` (one decimal). */
  percent?: number;
  /** The limit exceeded: a count (archive-limit) or a percentage (archive-percent). */
  limit?: number;
  /** The search that returned nothing (incomplete-read). */
  search?: string;
  /** Entries or rows it had last time (incomplete-read, empty-location, empty-export). */
  previous?: number;
  /** safety.mustInclude contacts missing from the export. */
  missing?: string[];
}

/**
 * The counts of a plan, as the run's report, its history line, a guard's error and the check of the
 * vendor's answer all carry them: one shape, so a count added to the plan reaches all four.
 */
export interface PlanCounts {
  create: number;
  update: number;
  archive: number;
  /** Archives that are renames (also counted in create and archive); absent in older history lines. */
  rename?: number;
  unchanged: number;
  /** No earlier push: everyone is new. */
  firstPush: boolean;
}

/** What a {@link GuardError} knows: the trips, the plan's counts and the run's files. */
export interface GuardDetails {
  /** The guards that tripped. */
  trips: readonly GuardTrip[];
  /** The plan's counts. */
  plan: PlanCounts;
  /** The plan file. */
  planPath: string;
  /** The CSV that was not sent. */
  csvPath: string;
  /** The rejected rows. */
  rejectsPath: string;
}

/** What an {@link UploadError} may know. */
export interface UploadDetails {
  /** The HTTP status the server answered with. */
  httpStatus?: number;
  /** Whether trying again may help (429, 5xx). */
  retryable?: boolean;
  /** The CSV that was uploaded. */
  csvPath?: string;
  /** Rows the vendor could not import (a partial import). */
  rejectedByVendor?: number;
}

/** The counts of a vendor's import summary, as far as it gave them. */
export type VendorCounts = Partial<Record<'created' | 'updated' | 'unchanged' | 'archived', number>>;

/** What a {@link VendorAnswerError} knows: the plan's counts beside the vendor's. */
export interface VendorAnswerDetails {
  /** The plan's counts. */
  plan: PlanCounts;
  /** The vendor's counts (archived includes disabled). */
  vendor: VendorCounts;
  /** Rows the vendor said it could not import. */
  rejectedByVendor: number;
  /** The CSV that was uploaded. */
  csvPath: string;
  /** The HTTP status of the accepted upload. */
  httpStatus: number;
}

/** Invalid, missing or unreadable configuration (exit 2). */
export class ConfigError extends AdsyncError {
  public override readonly exitCode = ExitCode.Config;

  /**
   * @param code which configuration problem
   * @param message what is wrong, naming the file and key
   * @param options hint and cause
   */
  public constructor(
    code: Extract<ErrorCode, `CONFIG_${string}`>,
    message: string,
    options: AdsyncErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** Wrong command-line usage, or a command that is not available (exit 2). */
export class UsageError extends AdsyncError {
  public override readonly exitCode = ExitCode.Config;

  /**
   * @param message what is wrong with the invocation
   * @param options hint and cause
   * @param code USAGE, or NOT_AVAILABLE for a feature this build does not have yet
   */
  public constructor(
    message: string,
    options: AdsyncErrorOptions = {},
    code: 'USAGE' | 'NOT_AVAILABLE' = 'USAGE',
  ) {
    super(code, message, options);
  }
}

/** The directory could not be read completely (exit 1). */
export class DirectoryError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;

  /**
   * @param code which directory failure
   * @param message what failed, naming the URL, base DN or location and the LDAP result
   * @param options hint and cause
   */
  public constructor(
    code: Extract<ErrorCode, `LDAP_${string}`>,
    message: string,
    options: AdsyncErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** Local files could not be written (exit 1). */
export class OutputError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;

  /**
   * @param message which file could not be written and why
   * @param options hint and cause
   */
  public constructor(message: string, options: AdsyncErrorOptions = {}) {
    super('OUTPUT_WRITE', message, options);
  }
}

/**
 * The state (the last good push the guards compare with) cannot be read: damaged, cut short, or
 * of a shape adsync does not know (exit 1). A state written by a newer release is a
 * {@link ConfigError} instead (exit 2: the fix is to run that release).
 */
export class StateError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;

  /**
   * @param message which state file and what is wrong with it
   * @param options hint (never one that leads to an unguarded push) and cause
   */
  public constructor(message: string, options: AdsyncErrorOptions = {}) {
    super('STATE_DAMAGED', message, options);
  }
}

/** A safety guard stopped the run before anything was uploaded (exit 3). */
export class GuardError extends AdsyncError {
  public override readonly exitCode = ExitCode.Guard;
  declare public readonly details: GuardDetails;

  /**
   * @param message which guards tripped, with the numbers
   * @param options hint (how to approve) and details (trips, plan counts, files)
   */
  public constructor(message: string, options: AdsyncErrorOptions<GuardDetails> & { details: GuardDetails }) {
    super('GUARD_TRIPPED', message, options);
  }

  /** The report keeps its shape: the plan and CSV paths and the guards' names. */
  public override reportDetails(): ReportDetails {
    const { planPath, csvPath, trips } = this.details;
    return { planPath, csvPath, guards: [...new Set(trips.map((t) => t.guard))].join(',') };
  }
}

/** Another run holds the lock (exit 4). */
export class LockError extends AdsyncError {
  public override readonly exitCode = ExitCode.Locked;

  /**
   * @param message who holds the lock
   * @param options hint
   */
  public constructor(message: string, options: AdsyncErrorOptions = {}) {
    super('LOCKED', message, options);
  }
}

/** The upload did not go through (exit 1). */
export class UploadError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;
  declare public readonly details: UploadDetails | undefined;

  /**
   * @param code which upload failure
   * @param message what failed, with the server's message where there is one
   * @param options hint, cause, and details such as the HTTP status
   */
  public constructor(
    code: Extract<ErrorCode, `UPLOAD_${string}`>,
    message: string,
    options: AdsyncErrorOptions<UploadDetails> = {},
  ) {
    super(code, message, options);
  }
}

/**
 * The vendor imported the upload but says it did something far from the plan: archived far more
 * contacts, or created far fewer (exit 1). The kiosk may have just been emptied.
 */
export class VendorAnswerError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;
  declare public readonly details: VendorAnswerDetails;

  /**
   * @param code which count is far off (archived wins when both are)
   * @param message the vendor's counts beside the plan's
   * @param options hint, and details: both sets of counts and the CSV
   */
  public constructor(
    code: Extract<ErrorCode, `VENDOR_${string}`>,
    message: string,
    options: AdsyncErrorOptions<VendorAnswerDetails> & { details: VendorAnswerDetails },
  ) {
    super(code, message, options);
  }

  /** The report shows both sets of counts flat: `planArchive` beside `vendorArchived`. */
  public override reportDetails(): ReportDetails {
    const { plan, vendor, rejectedByVendor, csvPath, httpStatus } = this.details;
    const flat: Record<string, number | string> = {
      csvPath,
      httpStatus,
      planCreate: plan.create,
      planUpdate: plan.update,
      planArchive: plan.archive,
      planUnchanged: plan.unchanged,
    };
    for (const [name, value] of Object.entries(vendor))
      flat[`vendor${name.charAt(0).toUpperCase()}${name.slice(1)}`] = value;
    return { ...flat, rejectedByVendor };
  }
}

/** A run was stopped from outside: its time limit, or a signal (exit 1). */
export class RunStoppedError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;

  /**
   * @param code timeout or interruption
   * @param message what stopped it and what state things were left in
   * @param options hint
   */
  public constructor(
    code: 'RUN_TIMEOUT' | 'RUN_INTERRUPTED',
    message: string,
    options: AdsyncErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** A scheduler (Task Scheduler, crontab, systemd) refused what adsync asked of it (exit 1). */
export class ScheduleError extends AdsyncError {
  public override readonly exitCode = ExitCode.Runtime;

  /**
   * @param message what failed, with the tool's own message
   * @param options hint, cause
   */
  public constructor(message: string, options: AdsyncErrorOptions = {}) {
    super('SCHEDULE_INSTALL', message, options);
  }
}

/**
 * Short text of any thrown value, for wrapping library errors into ours.
 * @param error anything that was thrown
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
