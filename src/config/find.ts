import { basename, extname, join, resolve } from 'node:path';

import { LineCounter, parseDocument, type Document } from 'yaml';

import { ConfigError, describeError } from '../errors.js';
import { FILE_LIMITS, FileRefusedError, readSmallFile } from '../io/small-file.js';

/**
 * Where adsync looks for its config when `--config` is not given: these names, in this order, in
 * the working directory only. Not its parents, nor a directory of the user's (a shared or
 * temporary directory above could hold someone else's file), and never a file of code: see
 * docs/configuration.md, "Where adsync looks for its config".
 */
export const CONFIG_SEARCH_PLACES = [
  'adsync.yaml',
  'adsync.yml',
  '.adsyncrc',
  '.adsyncrc.yaml',
  '.adsyncrc.yml',
  '.adsyncrc.json',
  'adsync.config.yaml',
  'adsync.config.yml',
  'adsync.config.json',
  'package.json',
] as const;

/** The key of a `package.json` that holds adsync's config. */
const PACKAGE_KEY = 'adsync';

/** Extensions of files of code: a config is data, never run (a service account runs adsync). */
const CODE_EXTENSIONS = new Set(['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts']);

/** Extensions read as a config: YAML, JSON (which YAML 1.2 reads too), or none (`.adsyncrc`). */
const DATA_EXTENSIONS = new Set(['.yaml', '.yml', '.json', '']);

/** A config file, read once and parsed, with what is needed to point at a line in it. */
export interface ConfigSource {
  /** The file. */
  filepath: string;
  /** Its parsed document (for the line and column of a key in a message). */
  doc: Document;
  /** Line positions of the document. */
  lines: LineCounter;
  /** Where the config sits in the document: `['adsync']` in a package.json, else the root. */
  base: readonly string[];
  /** The config as plain data. */
  value: unknown;
}

/** Options of {@link findConfig}. */
export interface FindConfigOptions {
  /** Explicit config file (`--config`); otherwise {@link CONFIG_SEARCH_PLACES} in `cwd`. */
  configPath?: string | undefined;
  /** Directory to search and to resolve a relative `configPath` against. */
  cwd: string;
}

/**
 * The config file `--config` names, or the first of {@link CONFIG_SEARCH_PLACES} in the working
 * directory, read once (a regular file of at most 4 MB: a FIFO or a device named or planted as
 * the config would block or fill memory) and parsed.
 * @param options the explicit path, or where to search
 * @throws {ConfigError} CONFIG_NOT_FOUND (none, unreadable, not data), CONFIG_SYNTAX,
 *   CONFIG_INVALID (empty)
 */
export function findConfig(options: FindConfigOptions): ConfigSource {
  if (options.configPath !== undefined && options.configPath !== '') {
    const filepath = resolve(options.cwd, options.configPath);
    refuseByName(filepath, options.configPath);
    const text = readConfigText(filepath, true);
    if (text === undefined) throw notFound(filepath);
    return parseConfig(filepath, text, true);
  }
  for (const name of CONFIG_SEARCH_PLACES) {
    const filepath = join(options.cwd, name);
    const text = readConfigText(filepath, false);
    if (text === undefined) continue;
    const source = parseConfig(filepath, text, false);
    if (source !== undefined) return source;
  }
  throw new ConfigError('CONFIG_NOT_FOUND', `no config file found in ${options.cwd}`, {
    hint: `Create one with \`adsync init\`, or pass --config FILE. Looked for: ${CONFIG_SEARCH_PLACES.join(', ')} (its "${PACKAGE_KEY}" key).`,
  });
}

/** Refuse a `--config` whose name says it is code, or not a format adsync reads. */
function refuseByName(filepath: string, given: string): void {
  const extension = extname(filepath).toLowerCase();
  if (CODE_EXTENSIONS.has(extension)) {
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      `${given} is a file of code; adsync reads its config as data only`,
      {
        hint: 'Write the config as YAML (or JSON): adsync never runs code from a config file.',
      },
    );
  }
  if (!DATA_EXTENSIONS.has(extension)) {
    throw new ConfigError('CONFIG_NOT_FOUND', `${given} is not a YAML file adsync can read`, {
      hint: 'Name the config file with a .yaml or .yml extension (.json also works; any case).',
    });
  }
}

function notFound(filepath: string): ConfigError {
  return new ConfigError('CONFIG_NOT_FOUND', `config file not found: ${filepath}`, {
    hint: 'Check the path given to --config, or create one with `adsync init`.',
  });
}

/** A system error's code (ENOENT, EACCES…), when the value is one. */
function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * The text of a config file, or undefined when there is none at that path (a missing file, or a
 * path through something that is not a directory).
 * @param explicit named by --config (its hint says so)
 */
function readConfigText(filepath: string, explicit: boolean): string | undefined {
  try {
    return readSmallFile(filepath, FILE_LIMITS.config).toString('utf8');
  } catch (error) {
    if (error instanceof FileRefusedError) {
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `cannot use ${filepath} as the config file: ${error.message}`,
        {
          hint: explicit
            ? 'Point --config at the YAML file itself (a regular file of at most 4 MB).'
            : `Replace ${basename(filepath)} by the YAML file itself (a regular file of at most 4 MB), or pass --config FILE.`,
        },
      );
    }
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read the config file: ${describeError(error)}`, {
      hint: 'Check the path and its permissions.',
      cause: error,
    });
  }
}

/**
 * Parse a config file's text (YAML; JSON is YAML too), with line and column for a syntax error.
 * In a package.json the config is its `adsync` key: a package.json without it is no config
 * (undefined) when searching, an error when named.
 */
function parseConfig(filepath: string, text: string, explicit: true): ConfigSource;
function parseConfig(filepath: string, text: string, explicit: boolean): ConfigSource | undefined;
function parseConfig(filepath: string, text: string, explicit: boolean): ConfigSource | undefined {
  const json = extname(filepath).toLowerCase() === '.json';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const [error] = doc.errors;
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${filepath}:${pos.line}:${pos.col}` : filepath;
    throw new ConfigError(
      'CONFIG_SYNTAX',
      `${json ? 'JSON' : 'YAML'} syntax error at ${where}: ${error.message.split('\n')[0] ?? ''}`,
      {
        hint: json
          ? 'Fix the JSON at that line and column (a comma between entries, none after the last, keys in double quotes).'
          : 'Fix the YAML at that line and column (indentation with spaces, a space after each colon, quotes around values containing ": " or "#").',
      },
    );
  }
  // Named in any case (PACKAGE.JSON, as Windows lets one type it), it is still a package.json.
  const base = basename(filepath).toLowerCase() === 'package.json' ? [PACKAGE_KEY] : [];
  const data: unknown = doc.toJS();
  const value: unknown =
    base.length === 0
      ? data
      : typeof data === 'object' && data !== null
        ? Object.getOwnPropertyDescriptor(data, PACKAGE_KEY)?.value
        : undefined;
  if (base.length > 0 && value === undefined) {
    if (!explicit) return undefined;
    throw new ConfigError('CONFIG_INVALID', `${filepath} has no "${PACKAGE_KEY}" key`, {
      hint: `Put the config under "${PACKAGE_KEY}" in package.json, or point --config at a YAML file.`,
    });
  }
  if (value === null || value === undefined) {
    throw new ConfigError('CONFIG_INVALID', `the config file ${filepath} is empty`, {
      hint: 'Start from `adsync init` or config.example.yaml.',
    });
  }
  return { filepath, doc, lines, base, value };
}
