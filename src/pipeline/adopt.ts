import { createHash } from 'node:crypto';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';

import { describeMissing } from '../config/secrets.js';
import { unresolvedAccount } from '../config/target.js';
import type { ResolvedConfig } from '../config/types.js';
import { readContactsFile, type ContactsFileKind } from '../csv/contacts-file.js';
import { runStamp } from '../csv/writer.js';
import { ConfigError, UsageError } from '../errors.js';
import { FILE_LIMITS } from '../io/small-file.js';
import { identityOf } from '../plan/identity.js';
import { openLastPush, stateContactLine, writeState } from '../state/baseline.js';
import { acquireLock } from '../state/lock.js';
import { ensureStateDir } from '../state/paths.js';
import { resolveTargetState } from './target-state.js';

/** A CSV the vendor received, in the profile's columns (some may be missing). */
const ADOPTED: ContactsFileKind = {
  label: 'the CSV to adopt',
  code: 'CONFIG_ADOPT',
  about:
    "adopt takes a CSV in the upload's columns: the last file the vendor received (the old script's output), or an export from the vendor in that layout",
  whereFrom: 'the path given to adsync adopt',
  maxBytes: FILE_LIMITS.adopt,
  partialHeader: true,
};

/** Options of {@link adopt}. */
export interface AdoptOptions {
  /** The CSV (absolute). */
  file: string;
  /** Replace a baseline that is there (it is copied aside first). */
  replace: boolean;
  /** When the run started (the backup's name). */
  now: Date;
}

/** What `adsync adopt` did. */
export interface AdoptResult {
  /** The CSV adopted. */
  file: string;
  /** The state file written. */
  statePath: string;
  /** The baseline it replaced, copied aside, when there was one. */
  replaced?: string;
  /** Contacts in the new baseline. */
  contacts: number;
  /** Contacts per location, in file order. */
  locations: { slug: string; contacts: number }[];
  /** Locations of the file that the config does not map: the next push archives them. */
  unmapped: string[];
  /** Columns of the layout the file does not have (their cells are empty in the baseline). */
  missingColumns: string[];
  /** Lines of rows with nothing the vendor matches by: left out. */
  withoutKey: number[];
  /** Lines of rows whose match key an earlier row holds (the vendor keeps one contact). */
  repeated: number[];
  /** Why the state directory's privacy could not be checked (Windows), if so. */
  stateDirWarning?: string;
}

/** Whether a row has what the vendor matches a contact by. */
function hasMatchKey(config: ResolvedConfig, cells: readonly string[]): boolean {
  const { roles, rules } = config.layout;
  const { keys } = rules.match;
  // A custom layout matches by its unique columns, else the whole row: every row has that.
  return keys.length === 0 || keys.some((k) => (cells[roles[k.role] ?? -1] ?? '') !== '');
}

/**
 * Take a CSV the vendor received (the vendor's PowerShell script's last output, or the vendor's
 * own export in the profile's layout) as the baseline of the config's vendor account, so the
 * first push is planned and guarded like any other: whoever the file holds and the directory no
 * longer does is an archive the guards count. Refuses to replace a baseline unless asked; a
 * replaced one is copied aside.
 * @param config the resolved config
 * @param options the file, whether to replace, the run's start
 * @throws {ConfigError} a file that cannot be read or does not fit the layout (exit 2)
 * @throws {UsageError} an unknown vendor account, or a baseline already there (exit 2)
 */
export async function adopt(config: ResolvedConfig, options: AdoptOptions): Promise<AdoptResult> {
  const unknown = unresolvedAccount(config.target);
  if (unknown !== undefined) {
    throw new UsageError(`adopt needs to know the vendor account: ${describeMissing([unknown]).join('')}`, {
      hint: 'Set it as for a push: the baseline belongs to that account.',
    });
  }
  const stateDirWarning = await ensureStateDir(config.stateDir);
  const paths = await resolveTargetState(config);
  const lock = await acquireLock(paths.lock, config.safety.lockTimeoutMinutes);
  try {
    if (paths.readFrom !== undefined && !options.replace) {
      const time = await openLastPush(paths.readFrom).then(
        (p) => (p ? ` (the last good push, ${p.time})` : ''),
        () => ' (damaged)',
      );
      throw new UsageError(`this vendor account has a baseline already${time}: ${paths.readFrom}`, {
        hint: 'adopt replaces what the guards compare with: only do it when that baseline is wrong or damaged, with --replace (the old one is copied aside).',
      });
    }
    const read = await readContactsFile(options.file, config.layout.headers, ADOPTED);
    const bad = read.rows.find((r) => r.cellCount !== undefined);
    if (bad) {
      throw new ConfigError(
        'CONFIG_ADOPT',
        `the CSV to adopt ${options.file}: line ${bad.line} has ${bad.cellCount} cells, its header ${config.layout.headers.length - read.missingColumns.length}`,
        { hint: 'The file is not a complete CSV: adopt the file as the vendor received it.' },
      );
    }
    const result = collect(config, read.rows);
    let replaced: string | undefined;
    if (paths.readFrom !== undefined) {
      replaced = `${paths.readFrom}.replaced-${runStamp(options.now)}`;
      await copyFile(paths.readFrom, replaced);
    }
    const sha = createHash('sha256')
      .update(await readFile(options.file))
      .digest('hex');
    await writeState(
      paths.state,
      {
        time: options.now.toISOString(),
        csvSha256: sha,
        headers: config.layout.headers,
        rows: Object.fromEntries(result.locations.map((l) => [l.slug, l.contacts])),
        searches: {},
        account: { profile: paths.account.profile, uploadUrl: paths.account.uploadUrl },
        adopted: basename(options.file),
      },
      result.lines.length,
      result.lines,
    );
    if (paths.readFrom !== undefined && paths.readFrom !== paths.state)
      await rm(paths.readFrom, { force: true });
    const { lines, ...rest } = result;
    return {
      file: options.file,
      statePath: paths.state,
      ...(replaced ? { replaced } : {}),
      contacts: lines.length,
      missingColumns: read.missingColumns,
      ...rest,
      ...(stateDirWarning === undefined ? {} : { stateDirWarning }),
    };
  } finally {
    await lock.release();
  }
}

/** The state lines of the file's rows, and what the admin should know about them. */
function collect(
  config: ResolvedConfig,
  rows: readonly { cells: string[]; line: number }[],
): Pick<AdoptResult, 'locations' | 'unmapped' | 'withoutKey' | 'repeated'> & { lines: string[] } {
  const { layout } = config;
  // The vendor holds one contact per match key, and imports in file order: the last row wins.
  const byKey = new Map<string, { location: string; line: string }>();
  const withoutKey: number[] = [];
  const repeated: number[] = [];
  for (const { cells, line } of rows) {
    if (!hasMatchKey(config, cells)) {
      withoutKey.push(line);
      continue;
    }
    const location = layout.locationIndex === undefined ? '' : (cells[layout.locationIndex] ?? '');
    const key = identityOf(layout, { cells, location });
    if (byKey.has(key)) repeated.push(line);
    byKey.set(key, { location, line: stateContactLine(key, location, cells) });
  }
  const perLocation = new Map<string, number>();
  for (const { location } of byKey.values()) perLocation.set(location, (perLocation.get(location) ?? 0) + 1);
  const lines = [...byKey.values()].map((c) => c.line);
  const mapped = new Set(config.extraContacts.slugs);
  return {
    lines,
    locations: [...perLocation].map(([slug, contacts]) => ({ slug, contacts })),
    unmapped: [...perLocation.keys()].filter((slug) => !mapped.has(slug)),
    withoutKey,
    repeated,
  };
}
