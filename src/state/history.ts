import { appendFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDir } from '../io/make-dir.js';

/** One line of the run history. */
export interface HistoryEntry {
  time: string;
  command: string;
  outcome: string;
  exitCode: number;
  dryRun: boolean;
  csvPath?: string;
  planPath?: string;
  rows?: number;
  rejected?: number;
  plan?: { create: number; update: number; archive: number; unchanged: number; firstPush: boolean };
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
