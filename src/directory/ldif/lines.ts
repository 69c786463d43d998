import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { DirectoryError, describeError } from '../../errors.js';
import { readSmallFile } from '../../io/small-file.js';

/**
 * One logical LDIF line (continuations joined) taken apart: `name: value`, `name:: base64` and
 * `name:< url`, with the value decoded. Errors name the file and line (`file:line: what`).
 */

/** The largest value file read for one `attribute:< file://…` line (a photo is far smaller). */
export const MAX_VALUE_FILE_BYTES = 10 * 1024 * 1024;

const SPACE = 0x20;
const COLON = 0x3a;
const LT = 0x3c;

/** An attribute description: a name or OID, with options. */
export const DESCRIPTION = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$/;
/** A base64 value's text, padding included. */
export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * An error at a place in the file, in the `file:line: what` form editors understand.
 * @param file the file, for the message
 * @param line 1-based line number
 * @param what what is wrong
 * @param hint what to do
 */
export function ldifError(file: string, line: number, what: string, hint: string): DirectoryError {
  return new DirectoryError('LDAP_LDIF', `${file}:${line}: ${what}`, { hint });
}

/** What an LDIF export looks like, for the hints of format errors. */
export const FORMAT_HINT =
  'The file must be an LDIF export of entries (RFC 2849), as written by `ldifde -f` or `ldapsearch -LLL`: records of "attribute: value" lines, separated by blank lines, each starting with "dn:".';

/**
 * Split `name: value`, `name:: base64` and `name:< url` into their parts.
 * @param bytes the logical line
 * @param line its (first) line number
 * @param file the file, for messages
 */
export function splitLine(
  bytes: Buffer,
  line: number,
  file: string,
): { description: string; kind: 'plain' | 'base64' | 'url'; value: Buffer } {
  const colon = bytes.indexOf(COLON);
  const description = (colon < 0 ? bytes : bytes.subarray(0, colon)).toString('latin1');
  if (colon < 0 || !DESCRIPTION.test(description)) {
    const shown = bytes.subarray(0, 60).toString('utf8');
    throw ldifError(
      file,
      line,
      colon < 0
        ? `"${shown}" is not an "attribute: value" line`
        : `"${description.slice(0, 60)}" is not an attribute name`,
      FORMAT_HINT,
    );
  }
  let at = colon + 1;
  let kind: 'plain' | 'base64' | 'url' = 'plain';
  if (bytes[at] === COLON) {
    kind = 'base64';
    at++;
  } else if (bytes[at] === LT) {
    kind = 'url';
    at++;
  }
  while (bytes[at] === SPACE) at++;
  return { description, kind, value: bytes.subarray(at) };
}

/**
 * The value of a split line as bytes: plain as written, base64 decoded, a file URL read (only
 * below `valueFiles`).
 * @param split the line's parts
 * @param line its (first) line number
 * @param file the file, for messages
 * @param path the file's path, which relative URLs are relative to
 * @param valueFiles the one directory value files may come from; undefined refuses them
 */
export function decodeValue(
  split: ReturnType<typeof splitLine>,
  line: number,
  file: string,
  path: string,
  valueFiles: string | undefined,
): Buffer {
  if (split.kind === 'plain') return split.value;
  const text = split.value.toString('latin1').replace(/\s+$/, '');
  if (split.kind === 'base64') {
    if (!BASE64.test(text) || text.length % 4 === 1) {
      throw ldifError(
        file,
        line,
        `the base64 value of ${split.description} is not valid base64`,
        'A value written "attribute:: …" must be base64; check the line and its continuation lines (each starts with exactly one space).',
      );
    }
    return Buffer.from(text, 'base64');
  }
  // attr:< URL: RFC 2849 allows any URL; only local files are read (never the network).
  let url: URL;
  try {
    url = new URL(text, pathToFileURL(path));
  } catch {
    throw ldifError(file, line, `"${text}" is not a URL`, 'Write "attribute:< file:///path/to/value".');
  }
  if (url.protocol !== 'file:') {
    throw ldifError(
      file,
      line,
      `${split.description} refers to ${url.protocol}// content, which adsync does not fetch`,
      'Only file:// URLs are read. Export the values inline instead (ldapsearch without -t, ldifde).',
    );
  }
  if (valueFiles === undefined) {
    throw ldifError(
      file,
      line,
      `${split.description} takes its value from the file ${url.href}, which adsync does not read`,
      'Export the values inline (ldapsearch without -t, ldifde), or name the one directory such files may come from with directory.valueFiles.',
    );
  }
  return readValueFile(fileURLToPath(url), valueFiles, split.description, line, file);
}

/** The file of an `attribute:< file://…` line, if it is a regular file inside `allowed`. */
function readValueFile(
  target: string,
  allowed: string,
  description: string,
  line: number,
  file: string,
): Buffer {
  const refuse = (why: string): never => {
    throw ldifError(
      file,
      line,
      `cannot read the value of ${description} from ${target}: ${why}`,
      `Value files must be regular files under directory.valueFiles (${allowed}), at most ${MAX_VALUE_FILE_BYTES / 1024 / 1024} MB each.`,
    );
  };
  let real: string;
  let root: string;
  try {
    // Real paths: neither "../" nor a symbolic link leads out of the allowed directory.
    real = realpathSync(target);
    root = realpathSync(allowed);
  } catch (error) {
    return refuse(describeError(error));
  }
  if (!real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
    return refuse(`it is outside ${allowed}`);
  try {
    return readSmallFile(real, MAX_VALUE_FILE_BYTES);
  } catch (error) {
    return refuse(describeError(error));
  }
}
