import { statSync } from 'node:fs';

import { Redactor, SHORT_SECRET } from '../../config/secrets.js';
import type { ResolvedConfig } from '../../config/types.js';

/** One secret of the config, by the key that holds it. */
export interface ConfigSecret {
  /** Key path, e.g. `directory.bindPassword`. */
  key: string;
  /** What it finds a secret in: one per secret. */
  finder: Redactor;
  /** Its length: a short one cannot be hidden everywhere. */
  length: number;
}

/** What a secret is called in a warning (never its value). */
const LABELS: Record<string, string> = {
  'directory.bindPassword': 'the bind password (directory.bindPassword)',
  'target.clientSecret': 'the client secret (target.clientSecret)',
  'target.apiKey': 'the API key (target.apiKey)',
};

/**
 * The config's own secrets (bind password, client secret, API key), each with a finder.
 * @param config the resolved config
 */
export function configSecrets(config: ResolvedConfig): ConfigSecret[] {
  const found: ConfigSecret[] = [];
  for (const [key, value] of [
    ['directory.bindPassword', config.directory.bindPassword],
    ['target.clientSecret', config.target.clientSecret],
    ['target.apiKey', config.target.apiKey],
  ] as const) {
    if (!value) continue;
    const finder = new Redactor();
    finder.add(value);
    found.push({ key, finder, length: value.length });
  }
  return found;
}

/** Counts, per secret, the mapped rows whose cells hold it. */
export class SecretsInData {
  private readonly rows = new Map<string, number>();

  /** @param secrets the config's secrets */
  public constructor(private readonly secrets: readonly ConfigSecret[]) {}

  /**
   * Look at one mapped row.
   * @param cells its cells
   */
  public row(cells: readonly string[]): void {
    for (const s of this.secrets)
      if (cells.some((cell) => cell !== '' && s.finder.appearsIn(cell)))
        this.rows.set(s.key, (this.rows.get(s.key) ?? 0) + 1);
  }

  /** The warnings: which secret, in how many people; never the value, never who. */
  public warnings(): string[] {
    return [...this.rows].map(
      ([key, n]) =>
        `${LABELS[key] ?? key} appears as a value in the directory (in ${n} ${n === 1 ? 'row' : 'rows'}): choose a secret that is not directory data (adsync shows directory values as they are)`,
    );
  }
}

/**
 * Warnings about how the config keeps its secrets: one too short to be hidden in output, a
 * `${file:}` secret every user of the machine may read.
 * @param config the resolved config
 * @param secrets its secrets ({@link configSecrets})
 */
export function secretKeepingWarnings(config: ResolvedConfig, secrets: readonly ConfigSecret[]): string[] {
  const warnings: string[] = [];
  for (const s of secrets)
    if (s.length < SHORT_SECRET)
      warnings.push(
        `${LABELS[s.key] ?? s.key} is shorter than ${SHORT_SECRET} characters: too short to be hidden wherever a server or vendor echoes it; choose a long random secret`,
      );
  if (process.platform !== 'win32')
    for (const file of new Set(config.secretFiles)) {
      let mode: number;
      try {
        mode = statSync(file).mode;
      } catch {
        continue; // read a moment ago; gone now is the next run's problem
      }
      if (mode & 0o004)
        warnings.push(
          `the secret file ${file} (a \${file:} secret of the config) can be read by every user of this machine: chmod 600 ${file}`,
        );
    }
  return warnings;
}
