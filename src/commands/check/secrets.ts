import { statSync } from 'node:fs';

import { Redactor, SHORT_SECRET } from '../../config/secrets.js';
import type { ResolvedConfig } from '../../config/types.js';

/** One secret of the config, by the key that holds it. */
export interface ConfigSecret {
  /** Key path, e.g. `directory.bindPassword`. */
  key: string;
  /** What it is called in a warning (never its value). */
  label: string;
  /** What it finds a secret in: one per secret. */
  finder: Redactor;
  /** Its length: a short one cannot be hidden everywhere. */
  length: number;
}

/**
 * The config's own secrets (bind password, client secret, API key), each with a finder.
 * @param config the resolved config
 */
export function configSecrets(config: ResolvedConfig): ConfigSecret[] {
  const found: ConfigSecret[] = [];
  const secrets = [
    ...config.directory.secrets,
    {
      key: 'target.clientSecret',
      label: 'the client secret (target.clientSecret)',
      value: config.target.clientSecret,
    },
    { key: 'target.apiKey', label: 'the API key (target.apiKey)', value: config.target.apiKey },
  ];
  for (const { key, label, value } of secrets) {
    if (!value) continue;
    const finder = new Redactor();
    finder.add(value);
    found.push({ key, label, finder, length: value.length });
  }
  return found;
}

/** Counts, per secret, the mapped rows whose cells hold it. */
export class SecretsInData {
  /** Rows per secret's label. */
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
        this.rows.set(s.label, (this.rows.get(s.label) ?? 0) + 1);
  }

  /** The warnings: which secret, in how many people; never the value, never who. */
  public warnings(): string[] {
    return [...this.rows].map(
      ([label, n]) =>
        `${label} appears as a value in the directory (in ${n} ${n === 1 ? 'row' : 'rows'}): choose a secret that is not directory data (adsync shows directory values as they are)`,
    );
  }
}

/**
 * Warnings about how the config keeps its secrets: one too short to be hidden in output, a
 * `${file:}` secret or a private key every user of the machine may read.
 * @param config the resolved config
 * @param secrets its secrets ({@link configSecrets})
 */
export function secretKeepingWarnings(config: ResolvedConfig, secrets: readonly ConfigSecret[]): string[] {
  const warnings: string[] = [];
  for (const s of secrets)
    if (s.length < SHORT_SECRET)
      warnings.push(
        `${s.label} is shorter than ${SHORT_SECRET} characters: too short to be hidden wherever a server or vendor echoes it; choose a long random secret`,
      );
  const files = new Map<string, string>();
  for (const file of config.secretFiles) files.set(file, 'a ${file:} or ${credential:} secret of the config');
  for (const file of config.directory.files) if (file.secret === true) files.set(file.path, file.what);
  if (process.platform !== 'win32')
    for (const [file, what] of files) {
      let mode: number;
      try {
        mode = statSync(file).mode;
      } catch {
        continue; // read a moment ago; gone now is the next run's problem
      }
      if (mode & 0o004)
        warnings.push(
          `the secret file ${file} (${what}) can be read by every user of this machine: chmod 600 ${file}`,
        );
    }
  return warnings;
}
