import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { ConfigError, describeError } from '../errors.js';

/** Keys whose values are secrets even when written literally in the file. */
const SECRET_KEYS = new Set(['bindPassword', 'clientSecret', 'apiKey']);

/**
 * Text of a secret file as Windows tools write it too: a UTF-8 byte order mark is dropped, and
 * UTF-16 (PowerShell 5.1's `Out-File` and `>`) is decoded.
 * @param bytes the file
 */
export function decodeSecretFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** A reference such as `${env:NAME}` or `${file:./secret.txt}`; `$${` escapes a literal `${`. */
const REFERENCE = /\$(\$?)\{(env|file):([^}]*)\}/g;

/** Options for {@link resolveSecretReferences}. */
export interface ResolveSecretsOptions {
  /** Where `${env:…}` values come from. */
  env: NodeJS.ProcessEnv;
  /** Directory that relative `${file:…}` paths are resolved against (the config file's). */
  baseDir: string;
  /** The config file, for error messages. */
  filepath: string;
}

/** Result of {@link resolveSecretReferences}. */
export interface ResolvedSecrets<T> {
  /** The value with every reference replaced. */
  value: T;
  /** Every secret value seen, so output can be redacted. Never printed. */
  secrets: string[];
}

function keyPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );
}

/**
 * Replace `${env:NAME}` and `${file:PATH}` in every string of a parsed config.
 * A variable that is not set, or a file that cannot be read, is a {@link ConfigError} naming the
 * key, the variable or the file — never its value. File contents lose one trailing newline.
 * @param raw the parsed YAML
 * @param options where references are resolved
 */
export function resolveSecretReferences<T>(raw: T, options: ResolveSecretsOptions): ResolvedSecrets<T> {
  const secrets: string[] = [];

  const resolveString = (text: string, path: (string | number)[]): string => {
    let fromFile = false as boolean; // set inside the replace callback
    const out = text.replace(REFERENCE, (_match, escape: string, kind: string, name: string) => {
      if (escape) return `\${${kind}:${name}}`;
      const where = `${options.filepath}: ${keyPath(path)}`;
      if (kind === 'env') {
        const value = options.env[name];
        if (value === undefined || value === '') {
          throw new ConfigError('CONFIG_SECRET', `${where}: environment variable ${name} is not set`, {
            hint: `Set ${name} in the environment that runs adsync (for a scheduled task: in the task's environment), or use \${file:PATH}.`,
          });
        }
        return value;
      }
      fromFile = true;
      const file = resolve(options.baseDir, name);
      try {
        return decodeSecretFile(readFileSync(file)).replace(/\r?\n$/, '');
      } catch (error) {
        throw new ConfigError('CONFIG_SECRET', `${where}: cannot read secret file ${file}`, {
          hint: 'Check that the file exists and that the account running adsync may read it.',
          cause: describeError(error),
        });
      }
    });
    const key = path[path.length - 1];
    if (out && (fromFile || (typeof key === 'string' && SECRET_KEYS.has(key)))) secrets.push(out);
    if (key === 'proxy') {
      try {
        const password = decodeURIComponent(new URL(out).password);
        if (password) secrets.push(password);
      } catch {
        // not a URL: the schema reports it
      }
    }
    return out;
  };

  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') return resolveString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };

  return { value: walk(raw, []) as T, secrets };
}

/**
 * Replaces every known secret in a text with `***`. Used on everything adsync prints or writes
 * as a last line of defence: secrets should never reach output in the first place.
 */
export class Redactor {
  private readonly secrets: string[] = [];

  /**
   * @param secrets values to hide
   */
  public add(...secrets: string[]): void {
    for (const s of secrets) if (s.length >= 3 && !this.secrets.includes(s)) this.secrets.push(s);
    // Longest first, so a secret that contains another is hidden whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /**
   * @param text any text about to be shown or written
   */
  public redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}

export { keyPath };
