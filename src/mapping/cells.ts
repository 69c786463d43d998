import { quoteValue } from '../util/quote-value.js';
import { isFormulaLike } from '../util/spreadsheet.js';
import type { ColumnRole } from './profiles.js';

/**
 * What a cell may hold, per column (docs/configuration.md, "What a cell may hold"). Each column
 * has a kind, a longest value and what happens to a value that breaks a rule: the row is
 * rejected when the column is required or a key the vendor matches by (`strict`), the cell is
 * left empty or cut (with a warning) when the column is optional: rejecting a row for a title
 * would take the person off the kiosk (the vendor archives whoever is missing from an upload).
 */

/** How a column's text is checked. */
export type CellKind =
  /** An email: NFC, no invisible or separator character at all. */
  | 'email'
  /** A value the vendor matches or dials by (Identification, SMS Phone, PIN, a unique column): never altered. */
  | 'key'
  /** A URL the kiosk fetches: https:// (http:// with a warning). */
  | 'image'
  /** Free text (names, titles…): invisible characters removed, line separators made spaces. */
  | 'text';

/** The rule of one column. */
export interface CellRule {
  /** How the text is checked. */
  kind: CellKind;
  /** Longest value, in characters (code points). */
  max: number;
  /** A broken rule rejects the row (required and key columns); otherwise the cell is mended. */
  strict: boolean;
  /** What a value over {@link max} becomes in an optional column: cut to the limit, or left empty. */
  over: 'cut' | 'empty';
}

/** The longest value of any text column without a limit of its own. */
export const DEFAULT_MAX = 255;

/** Per role: kind, limit, strictness. Names are the vendor's; iLobby's help: names over 50 characters do not sync. */
const ROLE_RULES: Record<ColumnRole, CellRule> = {
  firstName: { kind: 'text', max: DEFAULT_MAX, strict: true, over: 'cut' },
  lastName: { kind: 'text', max: DEFAULT_MAX, strict: true, over: 'cut' },
  // RFC 5321: a path holds at most 256 octets with its angle brackets, so an address 254.
  email: { kind: 'email', max: 254, strict: true, over: 'empty' },
  smsPhone: { kind: 'key', max: 32, strict: true, over: 'empty' },
  mobile: { kind: 'key', max: 32, strict: false, over: 'empty' },
  deskPhone: { kind: 'key', max: 32, strict: false, over: 'empty' },
  title: { kind: 'text', max: DEFAULT_MAX, strict: false, over: 'cut' },
  department: { kind: 'text', max: DEFAULT_MAX, strict: false, over: 'cut' },
  // Browsers and CDNs commonly stop at about 2,000 characters.
  image: { kind: 'image', max: 2048, strict: false, over: 'empty' },
  pin: { kind: 'key', max: 6, strict: true, over: 'empty' },
  location: { kind: 'key', max: DEFAULT_MAX, strict: true, over: 'empty' },
  identification: { kind: 'key', max: DEFAULT_MAX, strict: true, over: 'empty' },
  // Slack: a username is at most 80 characters; a cut one would name somebody else.
  slack: { kind: 'key', max: 80, strict: false, over: 'empty' },
};

/**
 * The rule of a column.
 * @param vendorMax the vendor's own limits by role (a built-in profile's `rules.maxLength`);
 *   undefined for a custom layout, whose columns follow their `required` and `unique` settings
 * @param role the column's role (undefined for a custom column)
 * @param column whether the column is required or unique (custom profile)
 * @param column.required rows where it is empty are rejected
 * @param column.unique later rows repeating its value are rejected
 * @param column.maxLength the config's limit for the column, replacing the rule's own
 */
export function cellRule(
  vendorMax: Partial<Record<ColumnRole, number>> | undefined,
  role: ColumnRole | undefined,
  column: { required: boolean; unique: boolean; maxLength?: number | undefined },
): CellRule {
  if (role !== undefined && (vendorMax !== undefined || role === 'location')) {
    const rule = ROLE_RULES[role];
    const max = vendorMax?.[role] ?? rule.max;
    return { ...rule, max: column.maxLength ?? max };
  }
  const strict = column.required || column.unique;
  return { kind: column.unique ? 'key' : 'text', max: column.maxLength ?? DEFAULT_MAX, strict, over: 'cut' };
}

/** What the rules did to a cell, for validation to turn into a reason or a warning. */
export interface CellNote {
  /** `refused`: the value breaks a rule of a strict column (the row is rejected); `emptied`: of
   * an optional one (the cell is left empty); `changed`: mended (cut, characters removed);
   * `noted`: kept as is, worth a look. */
  kind: 'refused' | 'emptied' | 'changed' | 'noted';
  /** What is wrong, after the column's header: "contains U+202E (…) in "…"". */
  why: string;
}

/** The outcome of {@link cleanCell}. */
export interface CleanCell {
  /** The cell to write (bounded by the column's limit in every case). */
  value: string;
  /** What was found, in order. */
  notes: CellNote[];
}

/** C0 and C1 controls and DEL: a cell holding one is rejected, whatever the column. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Printable ASCII: the fast path. */
const PLAIN = /^[\u0020-\u007e]*$/;
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;
/** Embeddings, overrides and isolates: they reorder what a reader sees ("CEO\u202Egnp.exe"). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/u;
const SEPARATORS = /[\u2028\u2029]/gu;
const FORMAT = /\p{Cf}/gu;
/** A character of a script: ZWJ and ZWNJ between two of these shape the script or join emoji. */
// eslint-disable-next-line no-control-regex -- "not ASCII" is what is looked for
const SCRIPT_CHAR = /[^\p{Cf}\s\u0000-\u007f]/u;

const codeOf = (char: string): string =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Length in code points (a surrogate pair is one), counted only when the UTF-16 length is over `max`. */
function overLimit(value: string, max: number): number | undefined {
  if (value.length <= max) return undefined;
  let n = value.length;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n > max ? n : undefined;
}

/** The first `max` code points of a value. */
function cut(value: string, max: number): string {
  let end = 0;
  let n = 0;
  for (const char of value) {
    if (n++ === max) break;
    end += char.length;
  }
  return value.slice(0, end).trimEnd();
}

/**
 * Invisible format characters removed from free text, keeping ZWJ (U+200D) and ZWNJ (U+200C)
 * between two characters of a script (Persian, Indic scripts, emoji sequences need them).
 */
function removeFormat(value: string): { value: string; removed: string[] } {
  const removed: string[] = [];
  const out = value.replace(FORMAT, (char, offset: number) => {
    if ((char === '\u200d' || char === '\u200c') && offset > 0) {
      const low = /[\udc00-\udfff]/.test(value[offset - 1] ?? '');
      const before = value.slice(offset - (low ? 2 : 1), offset);
      const after = String.fromCodePoint(value.codePointAt(offset + 1) ?? 0x20);
      if (SCRIPT_CHAR.test(before) && SCRIPT_CHAR.test(after)) return char;
    }
    if (!removed.includes(codeOf(char))) removed.push(codeOf(char));
    return '';
  });
  return { value: out, removed };
}

const LOOK_ALIKE_SCRIPTS = ['Latin', 'Cyrillic', 'Greek', 'Armenian', 'Cherokee'] as const;
const SCRIPT_TESTS = LOOK_ALIKE_SCRIPTS.map((s) => new RegExp(`\\p{Script=${s}}`, 'u'));

/**
 * The part of an email (the local part or a domain label) that mixes letters of scripts with
 * look-alike letters (Latin "a" and Cyrillic "а"), or undefined.
 * @param email the email
 */
export function mixedScriptPart(email: string): string | undefined {
  if (PLAIN.test(email)) return undefined;
  const at = email.lastIndexOf('@');
  const parts = [email.slice(0, at), ...email.slice(at + 1).split('.')];
  return parts.find((part) => SCRIPT_TESTS.filter((t) => t.test(part)).length > 1);
}

/**
 * An email as compared (duplicates, identity, renames, the baseline): NFC, lower case. `zoë@` in
 * NFC and in NFD are one contact.
 * @param email the email
 */
export function emailKey(email: string): string {
  return (PLAIN.test(email) ? email : email.normalize('NFC')).toLowerCase();
}

function checkLength(rule: CellRule, value: string, notes: CellNote[]): string {
  const length = overLimit(value, rule.max);
  if (length === undefined) return value;
  const why = `is ${length} characters long, over the limit of ${rule.max}`;
  if (rule.strict) {
    notes.push({ kind: 'refused', why });
    return cut(value, rule.max);
  }
  if (rule.over === 'empty') {
    notes.push({ kind: 'emptied', why });
    return '';
  }
  notes.push({ kind: 'changed', why: `${why}: cut to ${rule.max} characters` });
  return cut(value, rule.max);
}

/** An image URL: https:// is fetched, http:// with a warning, anything else is not a URL to fetch. */
function checkImage(value: string, notes: CellNote[]): void {
  let protocol = '';
  try {
    protocol = INVISIBLE.test(value) || /\s/.test(value) ? '' : new URL(value).protocol;
  } catch {
    // not a URL: refused below
  }
  if (protocol === 'https:') return;
  if (protocol === 'http:') {
    notes.push({
      kind: 'noted',
      why: `${quoteValue(value)} is an http:// URL: the kiosk fetches it unencrypted; use https://`,
    });
    return;
  }
  notes.push({ kind: 'refused', why: `${quoteValue(value)} is not an https:// URL` });
}

/**
 * Check and mend one cell by its column's rule (see the module comment). Pure.
 * @param rule the column's rule
 * @param input the cell as mapped (after the column's formats)
 */
export function cleanCell(rule: CellRule, input: string): CleanCell {
  const notes: CellNote[] = [];
  if (input === '') return { value: input, notes };
  const plain = PLAIN.test(input);
  if (plain && input.length <= rule.max && rule.kind !== 'image' && !isFormulaLike(input))
    return { value: input, notes };
  let value = checkLength(rule, input, notes);
  if (value === '' || notes.some((n) => n.kind === 'refused')) return settle(rule, value, notes);
  // A control character rejects the row whatever the column (validation says so): kept as is.
  if (!plain && CONTROL.test(value)) return { value, notes };
  if (rule.kind === 'email' && !plain) value = value.normalize('NFC');
  const invisible = plain ? null : INVISIBLE.exec(value);
  if (invisible && rule.kind !== 'text') {
    notes.push({
      kind: 'refused',
      why: `contains the invisible character ${codeOf(invisible[0])} in ${quoteValue(value)}`,
    });
    return settle(rule, value, notes);
  }
  if (rule.kind === 'text' && invisible) {
    const bidi = BIDI.exec(value);
    if (bidi) {
      notes.push({
        kind: 'refused',
        why: `contains ${codeOf(bidi[0])}, a direction control that changes what a reader sees, in ${quoteValue(value)}`,
      });
      return settle(rule, value, notes);
    }
    const before = value;
    const spaced = value.replace(SEPARATORS, ' ');
    const { value: stripped, removed } = removeFormat(spaced);
    value = stripped.replace(/ {2,}/g, ' ').trim();
    if (spaced !== before)
      notes.push({ kind: 'changed', why: `had line or paragraph separators (U+2028, U+2029) made spaces` });
    if (removed.length > 0)
      notes.push({
        kind: 'changed',
        why: `had invisible characters (${removed.join(', ')}) removed from ${quoteValue(before)}`,
      });
  }
  if (rule.kind === 'image') checkImage(value, notes);
  else if (isFormulaLike(value))
    notes.push({
      kind: 'refused',
      why: `${quoteValue(value)} starts with "${value.trimStart()[0] ?? value[0] ?? ''}": a spreadsheet would run it as a formula`,
    });
  if (rule.kind === 'email' && notes.length === 0) {
    const part = mixedScriptPart(value);
    if (part !== undefined)
      notes.push({
        kind: 'noted',
        why: `${quoteValue(value)} mixes letters of different scripts in ${quoteValue(part)}: it may be a look-alike of another address`,
      });
  }
  return settle(rule, value, notes);
}

/** A refusal in an optional column leaves the cell empty (with a warning) instead of rejecting the row. */
function settle(rule: CellRule, value: string, notes: CellNote[]): CleanCell {
  if (rule.strict || !notes.some((n) => n.kind === 'refused')) return { value, notes };
  return {
    value: '',
    notes: notes.map((n) => (n.kind === 'refused' ? { kind: 'emptied', why: n.why } : n)),
  };
}
