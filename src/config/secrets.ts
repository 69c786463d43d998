import { resolve } from 'node:path';

import { ConfigError, describeError } from '../errors.js';
import { redactUrlQueries, urlCredentials } from '../util/url-secrets.js';
import {
  credentialFile,
  credentialNameProblem,
  MISSING_CREDENTIAL_HINT,
  NO_CREDENTIALS_HINT,
} from './credentials.js';
import { readSecretFile, REFERENCE } from './references.js';

export { decodeSecretFile, envReferenceNames, readSecretFile, referenceNames } from './references.js';

/** Keys whose values are secrets even when written literally in the file. */
const SECRET_KEYS = new Set(['bindPassword', 'clientSecret', 'apiKey']);

// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Every control character, replaced in a name shown in a message. */
// eslint-disable-next-line no-control-regex -- control characters are what is replaced
const CONTROL_ALL = /[\u0000-\u001f\u007f]/g;

/** Options for {@link resolveSecretReferences}. */
export interface ResolveSecretsOptions {
  /** Where `${env:…}` values, and the credentials folder of `${credential:…}`, come from. */
  env: NodeJS.ProcessEnv;
  /** Directory that relative `${file:…}` paths are resolved against (the config file's). */
  baseDir: string;
  /** The config file, for error messages. */
  filepath: string;
  /**
   * Top-level sections whose unresolved references do not fail: the key is left out and the
   * reference listed in {@link ResolvedSecrets.missing}, for the command that needs it to refuse.
   */
  deferred?: readonly string[];
}

/** A reference that could not be resolved: which key, which variable or file, and why. */
export interface MissingSecret {
  /** Key path, e.g. `target.clientSecret`. */
  key: string;
  /** `${env:}`, `${file:}` or `${credential:}`. */
  kind: 'env' | 'file' | 'credential';
  /** The variable's name, the file's absolute path, or the credential's name. */
  name: string;
  /** What is wrong with it (`no folder`: a credential without CREDENTIALS_DIRECTORY). */
  problem: 'not set' | 'empty' | 'unreadable' | 'no folder';
  /** For a file: the system's reason (ENOENT …). */
  reason?: string | undefined;
  /** For a credential: the folder it was looked for in. */
  dir?: string | undefined;
}

/** Result of {@link resolveSecretReferences}. */
export interface ResolvedSecrets<T> {
  /** The value with every reference replaced (a deferred key whose reference failed: left out). */
  value: T;
  /** Every secret value seen, so output can be redacted. Never printed. */
  secrets: string[];
  /** References of the deferred sections that could not be resolved. */
  missing: MissingSecret[];
  /** Every `${file:}` and `${credential:}` file read (absolute), so no output option may overwrite one. */
  files: string[];
}

function keyPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );
}

/**
 * One line per unresolved reference: `target.clientSecret: environment variable X is not set`.
 * @param missing the references
 */
export function describeMissing(missing: readonly MissingSecret[]): string[] {
  return missing.map((m) => {
    const reason = m.reason ? ` (${m.reason})` : '';
    if (m.kind === 'env')
      return `${m.key}: environment variable ${m.name} is ${m.problem === 'empty' ? 'empty' : 'not set'}`;
    if (m.kind === 'file') return `${m.key}: cannot read secret file ${m.name}${reason}`;
    return m.problem === 'no folder'
      ? `${m.key}: \${credential:${m.name}} needs CREDENTIALS_DIRECTORY, which is not set (no service manager gave this run credentials)`
      : `${m.key}: cannot read credential ${m.name} in ${m.dir ?? '?'}${reason}`;
  });
}

/**
 * The error for unresolved references, naming every one of them at once (never a value).
 * @param filepath the config file
 * @param missing the references (at least one)
 * @param purpose what needs them, e.g. "to upload"
 * @param later references also unresolved that only an upload needs, listed so one round of
 *   fixing is enough
 */
export function missingSecretsError(
  filepath: string,
  missing: readonly MissingSecret[],
  purpose?: string,
  later: readonly MissingSecret[] = [],
): ConfigError {
  const all = [...missing, ...later];
  const variables = [...new Set(all.filter((m) => m.kind === 'env').map((m) => m.name))];
  const files = all.some((m) => m.kind === 'file');
  const lines = [
    ...describeMissing(missing).map((l) => `  - ${l}`),
    ...describeMissing(later).map((l) => `  - ${l} (needed only to upload)`),
  ];
  const head =
    missing.length === 1
      ? `${filepath}: a secret reference cannot be resolved${purpose ? ` ${purpose}` : ''}:`
      : `${filepath}: ${missing.length} secret references cannot be resolved${purpose ? ` ${purpose}` : ''}:`;
  const hints: string[] = [];
  if (variables.length > 0)
    hints.push(
      `Set ${variables.join(', ')} (not empty) in the environment that runs adsync (for a scheduled task: in the task's environment), or use \${file:PATH}.`,
    );
  if (files) hints.push('Check that each file exists and that the account running adsync may read it.');
  if (all.some((m) => m.kind === 'credential' && m.problem === 'no folder')) hints.push(NO_CREDENTIALS_HINT);
  if (all.some((m) => m.kind === 'credential' && m.problem === 'unreadable'))
    hints.push(MISSING_CREDENTIAL_HINT);
  return new ConfigError('CONFIG_SECRET', [head, ...lines].join('\n'), {
    hint: hints.join(' '),
    details: { missing: all.length, variables: variables.join(',') },
  });
}

/** Marks a string whose references failed; the walk leaves its key out. */
const UNRESOLVED = Symbol('unresolved');

/** Keys whose values are URLs: a password or a token may sit inside. */
const URL_KEYS = new Set(['proxy', 'url', 'uploadUrl', 'tokenUrl']);

/**
 * Why a value cannot be used because of a control character, or undefined. A line break or
 * another control character in a secret (or in anything a reference brought in) would be refused
 * by the HTTP client, or smuggle a header; say so, never use it.
 */
function controlProblem(
  text: string,
  out: string,
  path: (string | number)[],
  secret: boolean,
): string | undefined {
  const control = CONTROL.exec(out);
  if (!control || (!secret && out === text)) return undefined;
  const code = `U+${(control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return `${keyPath(path)}: the value${out !== text ? ` from ${text}` : ''} contains a control character (${code}${control[0] === '\n' || control[0] === '\r' ? ', a line break' : ''}); a secret must be one line of text`;
}

/** One walk over a parsed config: references replaced, secrets and files noted, failures collected. */
class SecretResolver {
  readonly secrets: string[] = [];
  readonly files: string[] = [];
  /** Values refused for a control character, one line each. */
  readonly invalid: string[] = [];
  /** `${credential:}` references whose name is not a plain file name, one line each. */
  readonly badNames: string[] = [];
  /** Unresolved references outside the deferred sections. */
  readonly required: MissingSecret[] = [];
  /** Unresolved references of the deferred sections. */
  readonly missing: MissingSecret[] = [];
  private readonly deferred: ReadonlySet<string>;

  constructor(private readonly options: ResolveSecretsOptions) {
    this.deferred = new Set(options.deferred ?? []);
  }

  /** The value of one reference, or '' with its problem added to `problems`. */
  private lookup(kind: string, name: string, key: string, problems: MissingSecret[]): string {
    if (kind === 'env') {
      const value = this.options.env[name];
      if (value !== undefined && value !== '') return value;
      problems.push({ key, kind: 'env', name, problem: value === '' ? 'empty' : 'not set' });
      return '';
    }
    if (kind === 'credential') return this.credential(name, key, problems);
    const file = resolve(this.options.baseDir, name);
    this.files.push(file);
    try {
      return readSecretFile(file);
    } catch (error) {
      problems.push({ key, kind: 'file', name: file, problem: 'unreadable', reason: describeError(error) });
      return '';
    }
  }

  /** A `${credential:NAME}`: the file NAME in the folder the service manager gave (credentials.ts). */
  private credential(name: string, key: string, problems: MissingSecret[]): string {
    const bad = credentialNameProblem(name);
    if (bad !== undefined) {
      this.badNames.push(`${key}: \${credential:${name.replace(CONTROL_ALL, '?')}} is refused: ${bad}`);
      return '';
    }
    const where = credentialFile(name, this.options.env);
    if (where === undefined) {
      problems.push({ key, kind: 'credential', name, problem: 'no folder' });
      return '';
    }
    this.files.push(where.file);
    try {
      return readSecretFile(where.file);
    } catch (error) {
      const reason = describeError(error);
      problems.push({ key, kind: 'credential', name, problem: 'unreadable', reason, dir: where.dir });
      return '';
    }
  }

  /** A string with its references replaced, or UNRESOLVED when one of them failed. */
  string(text: string, path: (string | number)[]): string | typeof UNRESOLVED {
    let fromFile = false as boolean; // set inside the replace callback
    const problems: MissingSecret[] = [];
    const out = text.replace(REFERENCE, (_match, escape: string, kind: string, name: string) => {
      if (escape) return `\${${kind}:${name}}`;
      // A value read from a file is a secret whatever key holds it.
      if (kind !== 'env') fromFile = true;
      return this.lookup(kind, name, keyPath(path), problems);
    });
    if (problems.length > 0) {
      const top = path[0];
      (typeof top === 'string' && this.deferred.has(top) ? this.missing : this.required).push(...problems);
      return UNRESOLVED;
    }
    const key = path[path.length - 1];
    const secret = typeof key === 'string' && SECRET_KEYS.has(key);
    if (out && (fromFile || secret)) this.secrets.push(out);
    const problem = controlProblem(text, out, path, secret);
    if (problem !== undefined) this.invalid.push(problem);
    if (typeof key === 'number' || (key !== undefined && URL_KEYS.has(key))) {
      // A password or a token inside a URL (refused by the rules, but the messages that refuse
      // it, and any other, must not show it either).
      const found = urlCredentials(out);
      for (const value of [found.password, ...found.values]) if (value) this.secrets.push(value);
    }
    return out;
  }

  /** Every string of a parsed value resolved; keys whose references failed are left out. */
  walk(value: unknown, path: (string | number)[]): unknown {
    if (typeof value === 'string') return this.string(value, path);
    if (Array.isArray(value)) return value.map((item, i) => this.walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .map(([k, v]) => [k, this.walk(v, [...path, k])] as const)
          .filter(([, v]) => v !== UNRESOLVED),
      );
    }
    return value;
  }
}

/**
 * Replace `${env:NAME}`, `${file:PATH}` and `${credential:NAME}` in every string of a parsed
 * config. Every variable that is not set or empty, every file or credential that cannot be read
 * (a credential also without CREDENTIALS_DIRECTORY), is collected:
 * outside the deferred sections they fail together in one {@link ConfigError} naming each key,
 * variable or file — never a value. File contents lose one trailing newline.
 * @param raw the parsed YAML
 * @param options where references are resolved, and which sections may stay unresolved
 */
export function resolveSecretReferences<T>(raw: T, options: ResolveSecretsOptions): ResolvedSecrets<T> {
  const resolver = new SecretResolver(options);
  const value = resolver.walk(raw, []) as T;
  const { secrets, files, invalid, required, missing, badNames } = resolver;
  // A name that is not a plain file name is a mistake in the config, never a secret left for later.
  if (badNames.length > 0) {
    throw new ConfigError(
      'CONFIG_SECRET',
      [`${options.filepath}:`, ...badNames.map((l) => `  - ${l}`)].join('\n'),
      {
        hint: 'Write the name the unit gives the credential (LoadCredentialEncrypted=NAME:PATH), a plain file name, e.g. ${credential:adsync-bind-password}.',
      },
    );
  }
  // Every unresolved reference at once, the deferred ones too: one round of fixing, not one each.
  if (required.length > 0) throw missingSecretsError(options.filepath, required, undefined, missing);
  if (invalid.length > 0) {
    throw new ConfigError(
      'CONFIG_SECRET',
      [`${options.filepath}:`, ...invalid.map((l) => `  - ${l}`)].join('\n'),
      {
        hint: 'Write each secret on one line: a ${file:} or ${credential:} secret may end with one line break (as `echo` writes it), nothing more.',
      },
    );
  }
  return { value, secrets, missing, files };
}

/**
 * The forms a secret takes on the wire, each of which a server may echo back: as it is,
 * percent-encoded (URLs, `encodeURIComponent`), form-encoded (`application/x-www-form-urlencoded`,
 * spaces as `+`), in base64, and as hex of its UTF-8 bytes in both cases (LDAP servers and
 * packet dumps show bytes that way).
 * @param secret the value
 */
function secretEncodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const hex = bytes.toString('hex');
  return [secret, encodeURIComponent(secret), form, bytes.toString('base64'), hex, hex.toUpperCase()];
}

/** A secret shorter than this is hidden only as a whole word: as a part of one it would hide too much. */
export const SHORT_SECRET = 3;

/**
 * Names whose value is a credential wherever it is written, whatever its length: the fields of
 * OAuth2 and form bodies, query strings and JSON answers.
 */
const CREDENTIAL_NAMES =
  'client_secret|client_assertion|password|passwd|pwd|api_?key|apikey|access_token|refresh_token|id_token|secret|authorization|proxy-authorization';
/** `client_secret=…` in a form body or a query (up to `&`, white space or a quote). */
const FORM_FIELD = new RegExp(`(?<![\\w-])(${CREDENTIAL_NAMES})=([^&\\s"'<>]+)`, 'gi');
/** `"client_secret": "…"` in JSON text a server sent. */
const JSON_FIELD = new RegExp(`("(?:${CREDENTIAL_NAMES})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
/** `Authorization: Basic …` as a header line. */
const AUTH_HEADER =
  /\b((?:proxy-)?authorization:[ \t]*)(?:(basic|bearer|digest|negotiate|ntlm)[ \t]+)?[^\s"',}]+/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Text with the values of credential fields replaced by `***` whatever they are
 * (`client_secret=***`, `"password":"***"`, `Authorization: Basic ***`): a secret too short to
 * be looked for anywhere is still hidden where a server echoes it in such a field.
 * @param text any text about to be shown or written
 */
function redactCredentialFields(text: string): string {
  return text
    .replace(FORM_FIELD, (_m, name: string) => `${name}=***`)
    .replace(JSON_FIELD, (_m, head: string) => `${head}"***"`)
    .replace(
      AUTH_HEADER,
      (_m, head: string, scheme: string | undefined) => `${head}${scheme ? `${scheme} ` : ''}***`,
    );
}

/**
 * Replaces every known secret in a text with `***`, in each of its encodings, the values of
 * credential fields and the query values of every URL. Used where text that may hold a secret
 * leaves adsync (server and vendor messages, errors, reports, logs), and as a last line of
 * defence on everything else: secrets should never reach output in the first place.
 */
export class Redactor {
  private readonly secrets: string[] = [];
  /** Forms under {@link SHORT_SECRET} characters, hidden only as whole words. */
  private readonly short: string[] = [];
  private shortPattern: RegExp | undefined;

  private addForm(form: string): void {
    if (form === '') return;
    const list = form.length >= SHORT_SECRET ? this.secrets : this.short;
    if (!list.includes(form)) list.push(form);
  }

  /**
   * @param secrets values to hide
   */
  public add(...secrets: string[]): void {
    for (const s of secrets) for (const form of secretEncodings(s)) this.addForm(form);
    this.reindex();
  }

  private reindex(): void {
    // Longest first, so a secret that contains another is hidden whole.
    this.secrets.sort((a, b) => b.length - a.length);
    this.short.sort((a, b) => b.length - a.length);
    this.shortPattern =
      this.short.length === 0
        ? undefined
        : new RegExp(
            `(?<![\\p{L}\\p{N}])(?:${this.short.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`,
            'gu',
          );
  }

  /**
   * Hide an OAuth2 client's HTTP Basic credentials too: base64 of `id:secret`, in the encoded
   * form RFC 6749 sends and as it is.
   * @param id the client id (not a secret itself)
   * @param secret the client secret
   */
  public addBasic(id: string, secret: string): void {
    for (const pair of [`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`, `${id}:${secret}`])
      this.addForm(Buffer.from(pair, 'utf8').toString('base64'));
    this.add(secret);
  }

  /**
   * Whether a text holds one of the secrets (in any of its encodings; a short one as a whole
   * word), leaving credential fields and URL queries aside: for `check`'s warning about a secret
   * that is also directory data.
   * @param text a value
   */
  public appearsIn(text: string): boolean {
    if (this.secrets.some((s) => text.includes(s))) return true;
    if (!this.shortPattern) return false;
    this.shortPattern.lastIndex = 0;
    return this.shortPattern.test(text);
  }

  /**
   * @param text any text about to be shown or written
   */
  public redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    if (this.shortPattern) out = out.replace(this.shortPattern, '***');
    return redactUrlQueries(redactCredentialFields(out));
  }
}

/**
 * A copy of a JSON-like value with `redact` applied to every string in it.
 * @param value plain data
 * @param redact the redaction
 */
export function redactValues<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactValues(v, redact)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, redactValues(v as unknown, redact)]),
    ) as T;
  }
  return value;
}

export { keyPath };
