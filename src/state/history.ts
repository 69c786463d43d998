import { appendFile, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

import { makeDir } from '../io/make-dir.js';
import { describeError, type PlanCounts } from '../errors.js';

/** The vendor account a run went to, as the history names it (never a secret). */
export interface RunTarget {
  /** Column profile (receptionist, ilobby, custom). */
  profile: string;
  /** Host (and port) of the upload URL; absent when the config has none. */
  host?: string;
  /** The OAuth2 client id, when it is not a secret of the config. */
  client?: string;
  /** The target's state file: one per vendor account, so two accounts on one host differ. */
  state: string;
}

/**
 * How a run ended, as recorded: `dry-run` (a dry run that passed), `uploaded`, `guard` (exit 3),
 * `locked` (exit 4: another run held the lock), `error`.
 */
export type RunOutcome = 'dry-run' | 'uploaded' | 'guard' | 'locked' | 'error';

/** One line of the run history. */
export interface HistoryEntry {
  time: string;
  /** The run's id, as its log lines carry it (absent in lines of earlier releases). */
  runId?: string;
  command: string;
  /** A {@link RunOutcome}; a string, as lines written by other releases are read too. */
  outcome: string;
  exitCode: number;
  dryRun: boolean;
  /** Where the run went (absent in lines written before it was recorded). */
  target?: RunTarget;
  csvPath?: string;
  planPath?: string;
  rows?: number;
  rejected?: number;
  plan?: PlanCounts;
  guards?: string[];
  vendor?: unknown;
  error?: string;
}

/**
 * Append one run to the history.
 * @param path runs.jsonl
 * @param entry the run
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  makeDir(dirname(path));
  await appendFile(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/**
 * Append one run to the history, or say why it could not be (runs.jsonl is a directory, the
 * state directory is read-only, the disk is full): a run's outcome does not depend on its record,
 * but a record that silently stops being written hides every later run.
 * @param path runs.jsonl
 * @param entry the run
 * @returns undefined when written, else the warning to show and report
 */
export async function recordRun(path: string, entry: HistoryEntry): Promise<string | undefined> {
  try {
    await appendHistory(path, entry);
    return undefined;
  } catch (error) {
    return `this run is not in the run history: could not write ${path}: ${describeError(error)}`;
  }
}

/**
 * Recent runs, newest last.
 * @param path runs.jsonl
 * @param limit how many
 */
export async function readHistory(path: string, limit: number): Promise<HistoryEntry[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const entries = text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as HistoryEntry];
      } catch {
        return [];
      }
    });
  return entries.slice(-limit);
}

/**
 * The {@link RunTarget} of a run. The client id is left out when the redaction would hide it (a
 * client id read from a `${env:}` or `${file:}` reference is treated as a secret).
 * @param target profile, upload URL and client id of the config
 * @param target.profile the column profile
 * @param target.uploadUrl the upload URL, if configured
 * @param target.clientId the OAuth2 client id, if configured
 * @param statePath the target's state file
 * @param redact the run's redaction
 */
export function runTarget(
  target: { profile: string; uploadUrl?: string | undefined; clientId?: string | undefined },
  statePath: string,
  redact: (text: string) => string,
): RunTarget {
  let host: string | undefined;
  try {
    host = target.uploadUrl === undefined ? undefined : new URL(target.uploadUrl).host;
  } catch {
    host = undefined;
  }
  const client = target.clientId;
  return {
    profile: target.profile,
    ...(host ? { host } : {}),
    ...(client !== undefined && redact(client) === client ? { client } : {}),
    state: basename(statePath),
  };
}
