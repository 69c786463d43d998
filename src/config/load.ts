import { dirname, join, resolve } from 'node:path';

import { cosmiconfig } from 'cosmiconfig';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

import { ConfigError, describeError } from '../errors.js';
import { suggest } from '../util/suggest.js';
import { buildJsonSchema, keysAt, type JsonSchema } from './json-schema.js';
import { normalizeConfig } from './normalize.js';
import { checkRules } from './rules.js';
import { configSchema } from './schema.js';
import { keyPath, Redactor, resolveSecretReferences } from './secrets.js';
import type { ConfigIssue, ResolvedConfig } from './types.js';
import { FILE_LIMITS, FileRefusedError, readSmallFile } from '../io/small-file.js';

/** File names searched for, in order, in the working directory. */
export const CONFIG_SEARCH_PLACES = ['adsync.yaml', 'adsync.yml', '.adsyncrc.yaml', 'adsync.config.yaml'];

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Explicit config file (`--config`); otherwise the search places are tried in `cwd`. */
  configPath?: string | undefined;
  /** Directory to search and to resolve a relative `configPath` against. */
  cwd: string;
  /** Environment for `${env:…}` references. */
  env: NodeJS.ProcessEnv;
}

/** A loaded, validated config. */
export interface LoadedConfig {
  /** The validated, normalised config. */
  config: ResolvedConfig;
  /** Secret values found while loading: for redaction only, never to be printed. */
  secrets: string[];
}

interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
}

function parseYaml(filepath: string, content: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const [error] = doc.errors;
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${filepath}:${pos.line}:${pos.col}` : filepath;
    throw new ConfigError(
      'CONFIG_SYNTAX',
      `YAML syntax error at ${where}: ${error.message.split('\n')[0] ?? ''}`,
      {
        hint: 'Fix the YAML at that line and column (indentation with spaces, a space after each colon, quotes around values containing ": " or "#").',
      },
    );
  }
  return { doc, lines };
}

function loadYaml(filepath: string, content: string): unknown {
  const value = parseYaml(filepath, content).doc.toJS() as unknown;
  if (value === null || value === undefined) {
    throw new ConfigError('CONFIG_INVALID', `the config file ${filepath} is empty`, {
      hint: 'Start from `adsync init` or config.example.yaml.',
    });
  }
  return value;
}

/** Where a key path sits in the file, as `line:col`, if it can be found. */
function locate(parsed: ParsedYaml | undefined, path: readonly (string | number)[], key?: string): string {
  if (!parsed) return '';
  const node = path.length === 0 ? parsed.doc.contents : parsed.doc.getIn(path, true);
  let offset: number | undefined;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) offset = pair.key.range?.[0];
  } else if (node && typeof node === 'object' && 'range' in node) {
    offset = (node as { range?: [number, number, number] | null }).range?.[0];
  }
  if (offset === undefined) return path.length > 0 ? locate(parsed, path.slice(0, -1)) : '';
  const pos = parsed.lines.linePos(offset);
  return `${pos.line}:${pos.col}`;
}

function typeOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

const SECRET_PATH_KEYS = new Set<PropertyKey>(['bindPassword', 'clientSecret', 'apiKey', 'proxy', 'webhook']);
const isSecretPath = (path: readonly PropertyKey[]): boolean => path.some((s) => SECRET_PATH_KEYS.has(s));

/** Turn zod issues into config issues with plain-language expectations and suggestions. */
function fromZod(issues: readonly z.core.$ZodIssue[], raw: unknown, schema: JsonSchema): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const valid = keysAt(schema, path);
      for (const key of issue.keys) {
        const hint = suggest(key, valid);
        out.push({
          path: [...path, key],
          message: `unknown key${hint ? `; did you mean "${hint}"?` : ''} (valid here: ${valid.join(', ')})`,
        });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest: it is most likely what the user meant.
      const branches = issue.errors.map((b) => fromZod(b, raw, schema));
      const deepest = branches.sort(
        (a, b) => Math.max(...b.map((i) => i.path.length)) - Math.max(...a.map((i) => i.path.length)),
      )[0];
      const allShallow = branches.every((b) => b.every((i) => i.path.length === path.length));
      if (deepest && !allShallow) {
        out.push(...deepest);
        continue;
      }
    }
    const actual = valueAt(raw, path);
    const received = isSecretPath(path) ? '' : `, got ${typeOf(actual)}`;
    let message: string;
    if (actual === undefined && issue.code === 'invalid_type')
      message = `is required (expected ${issue.expected})`;
    else if (issue.code === 'invalid_type') message = `expected ${issue.expected}${received}`;
    else if (issue.code === 'invalid_value') {
      message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${received}`;
    } else if (issue.code === 'invalid_union')
      message = `has the wrong shape${received}; see the JSON Schema`;
    else message = `${issue.message}${issue.code === 'custom' ? '' : received}`;
    out.push({ path, message });
  }
  return out;
}

function formatIssues(
  filepath: string,
  issues: readonly ConfigIssue[],
  parsed: ParsedYaml | undefined,
): string {
  const lines = issues.map((i) => {
    const last = i.path[i.path.length - 1];
    const unknownKey = i.message.startsWith('unknown key') && typeof last === 'string';
    const pos = unknownKey ? locate(parsed, i.path.slice(0, -1), last) : locate(parsed, i.path);
    return `  - ${keyPath(i.path) || '(top level)'}${pos ? ` (line ${pos})` : ''}: ${i.message}`;
  });
  return `Invalid configuration in ${filepath}:\n${lines.join('\n')}`;
}

/**
 * A CA file that cannot be read is a config problem like an unreadable `${file:}`: found when
 * the config is loaded, by every command, not when a connection first needs it.
 * @param config the normalised config
 */
function caFileIssues(config: ResolvedConfig): ConfigIssue[] {
  const files: [string, string | undefined][] = [
    ['directory', 'caFile' in config.directory ? config.directory.caFile : undefined],
    ['target', config.target.caFile],
    ['notify', config.notify?.caFile],
  ];
  const issues: ConfigIssue[] = [];
  for (const [section, file] of files) {
    if (file === undefined) continue;
    try {
      readSmallFile(file, FILE_LIMITS.ca);
    } catch (error) {
      issues.push({
        path: [section, 'caFile'],
        message: `cannot read ${file} (${describeError(error)}): point it at a readable PEM file with the CA certificate(s)`,
      });
    }
  }
  return issues;
}

/**
 * Refuse a config path that is there but is not a small regular file (checked before cosmiconfig
 * reads it whole). A missing file is left to the search and its messages.
 * @param path a config file candidate
 */
function refuseOddConfigFile(path: string): void {
  try {
    readSmallFile(path, FILE_LIMITS.config);
  } catch (error) {
    if (!(error instanceof FileRefusedError)) return;
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot use ${path} as the config file: ${error.message}`, {
      hint: 'Point --config at the YAML file itself (a regular file of at most 4 MB).',
    });
  }
}

/**
 * Find, parse, resolve and validate the config: YAML syntax (line and column), secret references,
 * schema (key path, expectation, nearest valid key), normalisation, then the cross-field rules.
 * @param options where to look and the environment
 * @throws {ConfigError} with exit code 2 for every kind of config problem
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const explorer = cosmiconfig('adsync', {
    searchPlaces: CONFIG_SEARCH_PLACES,
    searchStrategy: 'none',
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders: { '.yaml': loadYaml, '.yml': loadYaml },
  });

  // cosmiconfig reads the whole file first: a FIFO or /dev/zero named as the config (or planted
  // under one of the searched names) would block or fill memory before any check of ours.
  const candidates = options.configPath
    ? [resolve(options.cwd, options.configPath)]
    : CONFIG_SEARCH_PLACES.map((name) => join(options.cwd, name));
  for (const candidate of candidates) refuseOddConfigFile(candidate);

  let result: Awaited<ReturnType<typeof explorer.search>>;
  try {
    result = options.configPath
      ? await explorer.load(resolve(options.cwd, options.configPath))
      : await explorer.search(options.cwd);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (/No loader specified for extension/i.test(describeError(error))) {
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `${options.configPath ?? 'the config file'} is not a YAML file adsync can read`,
        {
          hint: 'Name the config file with a .yaml or .yml extension.',
        },
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options.configPath) {
      throw new ConfigError(
        'CONFIG_NOT_FOUND',
        `config file not found: ${resolve(options.cwd, options.configPath)}`,
        {
          hint: 'Check the path given to --config, or create one with `adsync init`.',
        },
      );
    }
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read the config file: ${describeError(error)}`, {
      hint: 'Check the path and its permissions.',
      cause: error,
    });
  }
  if (!result) {
    throw new ConfigError('CONFIG_NOT_FOUND', `no config file found in ${options.cwd}`, {
      hint: `Create one with \`adsync init\`, or pass --config FILE. Looked for: ${CONFIG_SEARCH_PLACES.join(', ')}.`,
    });
  }
  const filepath = result.filepath;
  if (typeof result.config !== 'object' || Array.isArray(result.config)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${filepath} must contain a mapping of keys (directory:, locations:, target:…)`,
      {
        hint: 'Start from `adsync init` or config.example.yaml.',
      },
    );
  }

  // The vendor's secrets are only needed to upload: a target reference that cannot be resolved
  // is kept on the config as missing (the upload refuses, naming it) instead of failing here.
  const {
    value: raw,
    secrets,
    missing,
    files: secretFiles,
  } = resolveSecretReferences<unknown>(result.config, {
    env: options.env,
    baseDir: dirname(filepath),
    filepath,
    deferred: ['target'],
  });

  // Messages about a config that failed validation never show a secret found in it.
  const redactor = new Redactor();
  redactor.add(...secrets);
  const schema = buildJsonSchema();
  const parsedForPositions = (): ParsedYaml | undefined => {
    try {
      return parseYaml(filepath, readSmallFile(filepath, FILE_LIMITS.config).toString('utf8'));
    } catch {
      return undefined;
    }
  };
  const checked = configSchema.safeParse(raw);
  if (!checked.success) {
    const issues = fromZod(checked.error.issues, raw, schema);
    throw new ConfigError(
      'CONFIG_INVALID',
      redactor.redact(formatIssues(filepath, issues, parsedForPositions())),
      {
        hint: 'Fix the keys listed above. config.example.yaml documents every key; schema/adsync.schema.json gives editors completion.',
      },
    );
  }

  const { config, issues: layoutIssues } = normalizeConfig(checked.data, filepath, missing, secretFiles);
  const issues = [...checkRules({ input: checked.data, config }), ...layoutIssues, ...caFileIssues(config)];
  if (issues.length > 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      redactor.redact(formatIssues(filepath, issues, parsedForPositions())),
      {
        hint: 'Fix the keys listed above. config.example.yaml documents every key.',
      },
    );
  }
  return { config, secrets };
}
