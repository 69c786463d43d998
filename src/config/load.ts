import { dirname } from 'node:path';

import { isMap, isPair, isScalar } from 'yaml';
import type { z } from 'zod';

import { ConfigError, describeError } from '../errors.js';
import { suggest } from '../util/suggest.js';
import { findConfig, type ConfigSource } from './find.js';
import { buildJsonSchema, keysAt, type JsonSchema } from './json-schema.js';
import { normalizeConfig, runSettings, stateDirOf } from './normalize.js';
import { checkRules } from './rules.js';
import { configSchema } from './schema.js';
import {
  describeMissing,
  keyPath,
  Redactor,
  resolveSecretReferences,
  type MissingSecret,
} from './secrets.js';
import type { ConfigIssue, ResolvedConfig } from './types.js';
import { FILE_LIMITS, readSmallFile } from '../io/small-file.js';

export { CONFIG_SEARCH_PLACES } from './find.js';

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Explicit config file (`--config`); otherwise the search places are tried in `cwd` (see findConfig). */
  configPath?: string | undefined;
  /** Directory to search and to resolve a relative `configPath` against. */
  cwd: string;
  /** Environment for `${env:…}` references. */
  env: NodeJS.ProcessEnv;
  /**
   * The command only reads adsync's own local files (history, diff) or writes a job that runs
   * elsewhere (schedule install, whose `${credential:}` and `${env:}` secrets exist only in the
   * job): no secret reference may fail it, as it never connects to the directory, the vendor or
   * the webhook.
   */
  localOnly?: boolean | undefined;
}

/** A loaded, validated config. */
export interface LoadedConfig {
  /** The validated, normalised config. */
  config: ResolvedConfig;
  /** Secret values found while loading: for redaction only, never to be printed. */
  secrets: string[];
  /** What the run goes on without (a webhook whose reference is not resolved). */
  warnings: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a key path sits in the file, as `line:col`, if it can be found. */
function locate(parsed: ConfigSource, path: readonly (string | number)[], key?: string): string {
  const inDoc = [...parsed.base, ...path];
  const node = inDoc.length === 0 ? parsed.doc.contents : parsed.doc.getIn(inDoc, true);
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

function formatIssues(issues: readonly ConfigIssue[], parsed: ConfigSource): string {
  const lines = issues.map((i) => {
    const last = i.path[i.path.length - 1];
    const unknownKey = i.message.startsWith('unknown key') && typeof last === 'string';
    const pos = unknownKey ? locate(parsed, i.path.slice(0, -1), last) : locate(parsed, i.path);
    return `  - ${keyPath(i.path) || '(top level)'}${pos ? ` (line ${pos})` : ''}: ${i.message}`;
  });
  return `Invalid configuration in ${parsed.filepath}:\n${lines.join('\n')}`;
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
 * Find, parse, resolve and validate the config: the file (read once; YAML syntax with line and
 * column), secret references, schema (key path, expectation, nearest valid key), normalisation,
 * then the cross-field rules.
 * @param options where to look and the environment
 * @throws {ConfigError} with exit code 2 for every kind of config problem
 */
// eslint-disable-next-line @typescript-eslint/require-await -- the file is read synchronously (a FIFO must not block it); the promise keeps that free to change
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const source = findConfig(options);
  const { filepath } = source;
  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
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
  // A webhook that cannot be resolved costs the notification, not the run.
  const resolved = resolveSecretReferences<unknown>(source.value, {
    env: options.env,
    baseDir: dirname(filepath),
    filepath,
    deferred: options.localOnly === true ? Object.keys(source.value) : ['target', 'notify'],
  });
  const { secrets, files: secretFiles } = resolved;
  const hookless = resolved.missing.filter((m) => m.key.startsWith('notify.'));
  const raw =
    hookless.length > 0 && isRecord(resolved.value)
      ? { ...resolved.value, notify: undefined }
      : resolved.value;
  const missing = resolved.missing.filter((m) => m.key.startsWith('target.'));
  const warnings =
    options.localOnly === true
      ? []
      : describeMissing(hookless).map((line) => `${line}: this run sends no notification`);
  // A local-only command never uses a secret: the rules about one that is missing do not apply.
  const unresolved = new Set(options.localOnly === true ? resolved.missing.map((m) => m.key) : []);
  const config = validate(source, raw, { secrets, missing, secretFiles, unresolved });
  return { config, secrets, warnings };
}

/**
 * The config checked against the schema, normalised, and checked against the rules across keys.
 * Messages never show a secret found in it.
 * @param source the file (for positions)
 * @param raw its content, secret references resolved
 * @param resolved what resolving them found; `unresolved`: keys whose issues do not count
 */
function validate(
  source: ConfigSource,
  raw: unknown,
  resolved: { secrets: string[]; missing: MissingSecret[]; secretFiles: string[]; unresolved: Set<string> },
): ResolvedConfig {
  const redactor = new Redactor();
  redactor.add(...resolved.secrets);
  const checked = configSchema.safeParse(raw);
  if (!checked.success) {
    const issues = fromZod(checked.error.issues, raw, buildJsonSchema());
    throw new ConfigError('CONFIG_INVALID', redactor.redact(formatIssues(issues, source)), {
      hint: 'Fix the keys listed above. config.example.yaml documents every key; schema/adsync.schema.json gives editors completion.',
    });
  }
  const { config, issues: layoutIssues } = normalizeConfig(
    checked.data,
    source.filepath,
    resolved.missing,
    resolved.secretFiles,
  );
  const issues = [
    ...checkRules({ input: checked.data, config }),
    ...layoutIssues,
    ...caFileIssues(config),
  ].filter((issue) => !resolved.unresolved.has(keyPath(issue.path)));
  if (issues.length > 0) {
    throw new ConfigError('CONFIG_INVALID', redactor.redact(formatIssues(issues, source)), {
      hint: 'Fix the keys listed above. config.example.yaml documents every key.',
    });
  }
  return config;
}

/**
 * What a run whose config could not be loaded still needs to leave a trace: where its history
 * and log go, and its webhook with the settings that reach it.
 */
export type RunTrace = Pick<ResolvedConfig, 'filepath' | 'stateDir' | 'logging' | 'notify'> & {
  /** The upload's TLS floor and proxy, which the webhook shares. */
  target: Pick<ResolvedConfig['target'], 'tlsMinVersion' | 'proxy'>;
};

/** A section of the config when it is valid on its own, else undefined. */
function section<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The trace settings of a config that failed to load (a `${env:}` secret the scheduler's
 * environment lacks, a bad key): every secret reference is optional here, and each of the state,
 * logging and notify sections is taken when it is valid by itself. Undefined when the file
 * cannot be found or parsed at all.
 * @param options where to look and the environment
 * @returns the settings, and the secret values seen (for redaction)
 */
export function loadRunTrace(options: LoadConfigOptions): { trace: RunTrace; secrets: string[] } | undefined {
  try {
    const source = findConfig(options);
    const { filepath } = source;
    if (!isRecord(source.value)) return undefined;
    const resolved = resolveSecretReferences<unknown>(source.value, {
      env: options.env,
      baseDir: dirname(filepath),
      filepath,
      deferred: Object.keys(source.value),
    });
    const raw = isRecord(resolved.value) ? resolved.value : {};
    const { shape } = configSchema;
    const input = {
      state: section(shape.state, raw.state),
      logging: section(shape.logging, raw.logging),
      notify: section(shape.notify, raw.notify),
      schedule: undefined,
      output: undefined,
    };
    const stateDir = stateDirOf(input, dirname(filepath));
    const { logging, notify } = runSettings(input, dirname(filepath), stateDir);
    const target = isRecord(raw.target) ? raw.target : {};
    const trace: RunTrace = {
      filepath,
      stateDir,
      logging,
      notify,
      target: {
        tlsMinVersion: section(shape.target.shape.tlsMinVersion, target.tlsMinVersion) ?? 'TLSv1.2',
        proxy: section(shape.target.shape.proxy, target.proxy),
      },
    };
    return { trace, secrets: resolved.secrets };
  } catch {
    return undefined;
  }
}
