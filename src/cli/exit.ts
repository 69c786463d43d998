import type { CommanderError } from '@commander-js/extra-typings';

import { AdsyncError, ExitCode, type ExitCodeValue } from '../errors.js';

/**
 * The one place that turns an outcome into an exit code, and the only one that ends the process
 * (`process.exit`): nothing else in adsync decides either.
 */

/** A failed command, as the CLI shows, logs and reports it. */
export interface Failure {
  /** The exit code it leads to. */
  exitCode: ExitCodeValue;
  /** Machine code: an AdsyncError's, the system's (EADDRINUSE…), or INTERNAL. */
  code: string;
  /** One human message. */
  message: string;
  /** What to do about it. */
  hint?: string | undefined;
  /** Structured facts for the report. */
  details?: Record<string, string | number | boolean> | undefined;
  /** For --verbose (for a bug: always): the underlying error's stack. */
  cause?: string | undefined;
  /** A programming error in adsync (not a condition of the machine or the input). */
  bug: boolean;
  /** What the run knew when it stopped, for its report (files, counts, plan). */
  report?: Readonly<Record<string, unknown>> | undefined;
  /** Problems on the way out that did not change the outcome (a history line not written). */
  warnings?: string[] | undefined;
}

/** What to do about a system error that reached the CLI, by its errno code. */
const SYSTEM_HINTS: Record<string, string> = {
  EADDRINUSE:
    'Another program (or another adsync mock-server) listens on that port: stop it, or choose another port (--port 0 picks a free one).',
  EADDRNOTAVAIL:
    "That address is not one of this machine's interfaces: listen on 127.0.0.1, or on an address it has.",
  EACCES:
    'Permission denied: check the file or directory permissions (and ports below 1024 need privileges; choose a higher one).',
  EPERM:
    'The operating system refused the operation: check permissions and whether the file is locked or read-only.',
  ENOENT:
    'A file or directory does not exist: check the path (relative paths start from the working directory).',
  ENOTDIR: 'A part of the path is a file, not a directory: check the path.',
  EISDIR: 'The path is a directory where a file was expected: check the path.',
  EEXIST: 'The file already exists: move it away or choose another name.',
  ENOSPC: 'The disk is full: free some space (old CSVs in output.dir, rotated logs) and run again.',
  EROFS: 'The file system is read-only: write to a writable directory.',
  EMFILE: 'Too many open files: raise the limit (ulimit -n) or run fewer things at once.',
  ECONNREFUSED: 'Nothing listens at that address: check the host and port, and that the server is running.',
  ECONNRESET: 'The other side closed the connection: check the server, a proxy or a firewall in between.',
  ETIMEDOUT: 'The other side did not answer in time: check the address, the network and any firewall.',
  EHOSTUNREACH: 'That host cannot be reached from here: check the address and the network.',
  ENETUNREACH: 'That network cannot be reached from here: check the address and the network.',
  ENOTFOUND: 'The host name does not resolve: check its spelling and DNS.',
  EPIPE: 'The other side went away while adsync was writing to it.',
};

/** A Node system error: errno code, message, and often the path or address involved. */
function systemCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code in SYSTEM_HINTS ? code : undefined;
}

/**
 * The messages of an error's causes, outermost first, without stacks: `connect ECONNRESET ←
 * socket hang up`. A cause chain is finite in practice; a few levels say all there is.
 */
function causeText(cause: unknown): string | undefined {
  const parts: string[] = [];
  for (let c = cause, depth = 0; c !== undefined && c !== null && depth < 4; depth++) {
    if (c instanceof Error) {
      if (c.message) parts.push(c.message);
      c = c.cause;
    } else {
      if (typeof c === 'string') parts.push(c);
      break;
    }
  }
  return parts.length > 0 ? parts.join(' ← ') : undefined;
}

/**
 * What a thrown value means for the user and the exit code.
 * @param error anything a command threw
 */
export function failureOf(error: unknown): Failure {
  if (error instanceof AdsyncError) {
    const cause = error.cause;
    return {
      exitCode: error.exitCode,
      code: error.code,
      message: error.message,
      hint: error.hint,
      details: error.reportDetails(),
      // A known condition (a wrong password, a refused upload): what the library said is
      // useful with --verbose, its JavaScript stack is not; stacks are for bugs.
      cause: causeText(cause),
      bug: false,
      report: error.report,
      ...(error.warnings.length > 0 ? { warnings: [...error.warnings] } : {}),
    };
  }
  const system = systemCode(error);
  if (system !== undefined && error instanceof Error) {
    // A known condition of the machine (a busy port, a missing file, a full disk): the user's
    // to fix, not a bug. Node's message names the port or path.
    return {
      exitCode: ExitCode.Runtime,
      code: system,
      message: error.message,
      hint: SYSTEM_HINTS[system],
      bug: false,
    };
  }
  return {
    exitCode: ExitCode.Runtime,
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    cause: error instanceof Error ? error.stack : undefined,
    bug: true,
  };
}

/**
 * Commander's own verdict: 0 for --help and --version, a usage error (2) for anything else it
 * refused (it has printed why).
 * @param error what commander threw
 */
export function commanderExit(error: CommanderError): ExitCodeValue {
  return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Config;
}

/**
 * End the process now, with `code` (`process.exit`): asynchronous work still pending is dropped
 * (a lock not yet released, a history line, log or report write not yet flushed); only the
 * synchronous `exit` listeners run. Two callers: a SIGINT that arrives when the run was already
 * asked to stop (a second Ctrl-C, or a Ctrl-C after its time limit, a SIGTERM or the scheduler's
 * stop) exits 130; and a run that still waits on nothing after it was stopped (main's
 * `beforeExit` check) exits 1 once its error report is emitted. A lock left behind is stale (its
 * process is gone), so the next run takes it over.
 * @param code the exit code (130 after SIGINT, 1 for a stuck run)
 */
export function quitNow(code: number): never {
  process.exit(code);
}

/**
 * The end of the process after the CLI returned: its exit code, and a forced exit shortly after
 * in case a run stopped by its time limit left a hung connection behind.
 * @param code the exit code main returned
 */
export function endProcess(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 3000).unref();
}
