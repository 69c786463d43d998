import type { CountryCode } from 'libphonenumber-js';

import type { SourceEntry } from '../directory/types.js';
import { cleanCell, type CellNote, type CellRule } from './cells.js';
import { binaryProblems } from './binary-attributes.js';
import { applyFormat } from './formats.js';
import type { ColumnRole, LayoutRules } from './profiles.js';
import type { FormatName, LayoutIssue, MultiMode } from './types.js';

/** Where a column's value comes from. */
export type ColumnSource =
  | { kind: 'attributes'; attributes: string[] }
  | { kind: 'template'; parts: ({ text: string } | { attribute: string })[] }
  | { kind: 'constant'; value: string }
  | { kind: 'location' }
  | { kind: 'empty' };

/** A column ready to evaluate against entries. */
export interface CompiledColumn {
  /** Header text. */
  header: string;
  /** Meaning for validation (custom columns have none). */
  role: ColumnRole | undefined;
  /** Value source. */
  source: ColumnSource;
  /** Formats, applied in order. */
  formats: FormatName[];
  /** How multi-valued attributes are read. */
  multi: MultiMode;
  /** Separator for `multi: join`. */
  separator: string;
  /** Reject rows where this column is empty. */
  required: boolean;
  /** Reject later rows in a location repeating this value. */
  unique: boolean;
  /** What a cell may hold: kind, longest value, reject or mend (see cells.ts). */
  rule: CellRule;
  /** The config's `maxLength`, replacing the rule's limit. */
  maxLength?: number | undefined;
}

/** The compiled layout: columns in file order plus what to ask the directory for. */
export interface ColumnSet {
  /** Profile name (file names, the vendor account of state files). */
  profile: string;
  /** Columns in file order. */
  columns: CompiledColumn[];
  /** Header row. */
  headers: string[];
  /** Index of the location column, if any. */
  locationIndex: number | undefined;
  /** Index of each role's column. */
  roles: Partial<Record<ColumnRole, number>>;
  /** The vendor's rules (reachability, uniqueness, one site per email, matching, limits). */
  rules: LayoutRules;
  /** Attributes to request from the directory. */
  attributes: string[];
  /** Attributes to request as raw bytes (GUIDs, SIDs). */
  bufferAttributes: string[];
}

/**
 * The attributes a column reads (its own, or its template's).
 * @param column the column
 */
export const columnAttributes = (column: CompiledColumn): string[] =>
  column.source.kind === 'attributes'
    ? column.source.attributes
    : column.source.kind === 'template'
      ? column.source.parts.flatMap((p) => ('attribute' in p ? [p.attribute] : []))
      : [];

/**
 * Columns that read an attribute the directory's schema declares binary as text, as config
 * problems of `columns.<header>`.
 * @param set the layout
 * @param binary why the schema makes an attribute binary (its syntax), undefined for text
 */
export function binaryColumnIssues(
  set: ColumnSet,
  binary: (attribute: string) => string | undefined,
): LayoutIssue[] {
  return set.columns.flatMap((column) =>
    binaryProblems(columnAttributes(column), column.formats, binary).map((message) => ({
      path: ['columns', column.header],
      message,
    })),
  );
}

/** A directory entry as mapping sees it: what every directory source yields. */
export type EntryLike = SourceEntry;

/** A problem with one cell, decided on by validation. */
export interface CellIssue {
  /** Column index. */
  column: number;
  /**
   * What went wrong: the value could not be read or formatted, or a cell rule (cells.ts) refused
   * it (`refused`: the row is rejected), left it empty (`emptied`), mended it (`changed`) or
   * found it worth a look (`noted`).
   */
  kind: 'invalid-utf8' | 'phone' | 'guid' | 'sid' | CellNote['kind'];
  /** The attribute the value came from. */
  attribute?: string;
  /** The value as read (lossy text for bytes); for a cell rule, what is wrong ({@link CellNote.why}). */
  raw: string;
}

/**
 * Apply the cell rules (cells.ts) to a row's cells, in place: each cell becomes what may be sent,
 * and what the rules found becomes cell issues for validation.
 * @param set the compiled layout
 * @param cells the row's cells, changed in place
 * @param issues receives the issues
 */
export function cleanCells(set: ColumnSet, cells: string[], issues: CellIssue[]): void {
  for (let column = 0; column < cells.length; column++) {
    const rule = set.columns[column]?.rule;
    const value = cells[column] ?? '';
    if (rule === undefined || value === '') continue;
    const clean = cleanCell(rule, value);
    cells[column] = clean.value;
    for (const note of clean.notes) issues.push({ column, kind: note.kind, raw: note.why });
  }
}

/** One mapped row before validation. */
export interface MappedRow {
  /** Cells in column order. */
  cells: string[];
  /** Cell problems. */
  issues: CellIssue[];
}

/** Evaluation context shared by all rows. */
export interface RowContext {
  /** Location slug ('' for all locations). */
  location: string;
  /** Country for national phone numbers. */
  defaultCountry: CountryCode | undefined;
}

const isEmpty = (v: string | Uint8Array): boolean => (typeof v === 'string' ? v === '' : v.length === 0);

function readValue(
  entry: EntryLike,
  column: CompiledColumn,
  attribute: string,
): { value: string | Uint8Array; binaryText: boolean } | undefined {
  const all = entry.get(attribute);
  // Most attributes have one non-empty value: skip the filtering copy then.
  const values =
    all.length === 1 && !isEmpty(all[0] as string | Uint8Array) ? all : all.filter((v) => !isEmpty(v));
  if (values.length === 0) return undefined;
  const wantsBytes = column.formats[0] === 'guid' || column.formats[0] === 'sid';
  const first = values[0] as string | Uint8Array;
  if (wantsBytes || column.multi === 'first')
    return { value: first, binaryText: typeof first !== 'string' && !wantsBytes };
  const hasBytes = values.some((v) => typeof v !== 'string');
  const text = values
    .map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('utf8')))
    .join(column.separator);
  return { value: text, binaryText: hasBytes };
}

/** A template's text for an entry; an attribute read as bytes is noted. */
function templateValue(
  entry: EntryLike,
  column: CompiledColumn,
  parts: (ColumnSource & { kind: 'template' })['parts'],
  issues: CellIssue[],
  index: number,
): string {
  let any = false;
  let text = '';
  for (const p of parts) {
    if ('text' in p) {
      text += p.text;
      continue;
    }
    const read = readValue(entry, column, p.attribute);
    if (!read) continue;
    any = true;
    const part = typeof read.value === 'string' ? read.value : Buffer.from(read.value).toString('utf8');
    if (read.binaryText || typeof read.value !== 'string')
      issues.push({ column: index, kind: 'invalid-utf8', attribute: p.attribute, raw: part });
    text += part;
  }
  // Collapse spaces only: a line break or tab from an attribute must reach validation.
  // A template of attributes that are all missing is empty, not its literal separators.
  return any ? text.replace(/ {2,}/g, ' ').trim() : '';
}

/** A column's value for an entry before its formats, and the attribute it came from. */
function sourceValue(
  entry: EntryLike,
  column: CompiledColumn,
  context: RowContext,
  issues: CellIssue[],
  index: number,
): { value: string | Uint8Array; attribute?: string } {
  const source = column.source;
  switch (source.kind) {
    case 'empty':
      return { value: '' };
    case 'location':
      return { value: context.location };
    case 'constant':
      return { value: source.value };
    case 'template':
      return { value: templateValue(entry, column, source.parts, issues, index) };
    case 'attributes':
      for (const attribute of source.attributes) {
        const read = readValue(entry, column, attribute);
        if (!read) continue;
        if (!read.binaryText) return { value: read.value, attribute };
        const text = Buffer.from(read.value).toString('utf8');
        issues.push({ column: index, kind: 'invalid-utf8', attribute, raw: text });
        return { value: text, attribute };
      }
      return { value: '' };
  }
}

/** A column's formats applied in order; a value a format refuses is noted and left empty. */
function formatValue(
  column: CompiledColumn,
  read: { value: string | Uint8Array; attribute?: string },
  context: RowContext,
  issues: CellIssue[],
  index: number,
): string {
  let value = read.value;
  for (const format of column.formats) {
    if (value === '') break;
    // The common text formats inline (the same as applyFormat, without its result object).
    if (typeof value === 'string') {
      if (format === 'trim') {
        value = value.trim();
        continue;
      }
      if (format === 'lower') {
        value = value.toLowerCase();
        continue;
      }
    }
    const out = applyFormat(format, value, context);
    if (!out.ok) {
      const raw = typeof value === 'string' ? value : Buffer.from(value).toString('hex');
      issues.push({
        column: index,
        kind: out.problem,
        raw,
        ...(read.attribute ? { attribute: read.attribute } : {}),
      });
      return '';
    }
    value = out.value;
  }
  return typeof value === 'string' ? value : Buffer.from(value).toString('hex');
}

/**
 * Map one directory entry to one row for one location. Pure: no I/O, no mutation of inputs.
 * @param set the compiled layout
 * @param entry the directory entry
 * @param context location and phone country
 */
export function mapEntry(set: ColumnSet, entry: EntryLike, context: RowContext): MappedRow {
  const columns = set.columns;
  const cells: string[] = [];
  const issues: CellIssue[] = [];
  for (let index = 0; index < columns.length; index++) {
    const column = columns[index] as CompiledColumn;
    const read = sourceValue(entry, column, context, issues, index);
    cells.push(formatValue(column, read, context, issues, index));
  }
  cleanCells(set, cells, issues);
  return { cells, issues };
}
