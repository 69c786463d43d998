import { FILE_LIMITS, readSmallFile } from '../io/small-file.js';

/**
 * The secret reference syntax (`${env:}`, `${file:}`, `${credential:}`) and the reading of a
 * secret file, shared by secrets.ts (which resolves references) and the commands that only name
 * them (schedule install). Nothing here resolves an `${env:}` or prints a value.
 */

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

/**
 * The value of a secret file: `${file:}` and `${credential:}` read theirs the same way (size
 * limit, Windows encodings, one trailing line break dropped).
 * @param file the file's absolute path
 * @throws the system's error, or FileRefusedError for a file that is not small and regular
 */
export function readSecretFile(file: string): string {
  return decodeSecretFile(readSmallFile(file, FILE_LIMITS.secret)).replace(/\r?\n$/, '');
}

/**
 * A reference such as `${env:NAME}`, `${file:./secret.txt}` or `${credential:NAME}`; `$${`
 * escapes a literal `${`.
 */
export const REFERENCE = /\$(\$?)\{(env|file|credential):([^}]*)\}/g;

/**
 * The names a parsed config's references of one kind give, each once, in the order they appear
 * (an escaped `$${env:…}` is text, not a reference). Nothing is resolved: for saying what a job
 * started elsewhere (cron, systemd, Task Scheduler) must be given, never what it is.
 * @param raw the parsed config
 * @param kind `env` (variables) or `credential` (service manager credentials)
 */
export function referenceNames(raw: unknown, kind: 'env' | 'credential'): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const [, escape, found, name] of value.matchAll(REFERENCE))
        if (!escape && found === kind && name !== undefined) names.add(name);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(raw);
  return [...names];
}

/**
 * The variables a parsed config's `${env:NAME}` references name (see {@link referenceNames}).
 * @param raw the parsed config
 */
export function envReferenceNames(raw: unknown): string[] {
  return referenceNames(raw, 'env');
}
