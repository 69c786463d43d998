import type { CountryCode } from 'libphonenumber-js';

import type { DirectoryKind, SourceEntry } from '../directory/types.js';
import { isFormulaLike } from '../util/spreadsheet.js';
import { suggest } from '../util/suggest.js';
import { cellRule, cleanCell, type CellNote, type CellRule } from './cells.js';
import { binaryProblems, knownBinary } from './binary-attributes.js';
import { applyFormat } from './formats.js';
import type { ColumnRole, LayoutProfile, LayoutRules, ProfileColumn } from './profiles.js';
import type { ColumnInput, FormatName, LayoutIssue, MultiMode } from './types.js';

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

/** Target settings that shape the layout. */
export interface LayoutOptions {
  /** Vendor profile: its columns (none for custom) and rules. */
  profile: LayoutProfile;
  /** custom profile: header that receives the location. */
  locationColumn?: string | undefined;
  /** Directory flavour, for default mappings. */
  kind: DirectoryKind;
  /** Column overrides from config. */
  columns?: Record<string, ColumnInput> | undefined;
}

const PHONE_ROLES = new Set<ColumnRole>(['smsPhone', 'mobile', 'deskPhone']);

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function parseTemplate(template: string): ColumnSource & { kind: 'template' } {
  const parts: ({ text: string } | { attribute: string })[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (m.index > last) parts.push({ text: template.slice(last, m.index) });
    if (m[0] === '{{') parts.push({ text: '{' });
    else if (m[0] === '}}') parts.push({ text: '}' });
    else parts.push({ attribute: (m[1] ?? '').trim() });
    last = re.lastIndex;
  }
  if (last < template.length) parts.push({ text: template.slice(last) });
  return { kind: 'template', parts };
}

/** The attributes a column reads (its own, or its template's). */
const columnAttributes = (column: CompiledColumn): string[] =>
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

function compileOne(
  header: string,
  role: ColumnRole | undefined,
  input: ColumnInput | undefined,
  path: (string | number)[],
  issues: LayoutIssue[],
): CompiledColumn {
  const column: CompiledColumn = {
    header,
    role,
    source: { kind: 'empty' },
    formats: [],
    multi: 'first',
    separator: '; ',
    required: false,
    unique: false,
    rule: cellRule(undefined, undefined, { required: false, unique: false }),
  };
  if (input === undefined) return column;
  if (typeof input === 'string') {
    column.source = input.includes('{') ? parseTemplate(input) : { kind: 'attributes', attributes: [input] };
  } else if (Array.isArray(input)) {
    column.source = { kind: 'attributes', attributes: input };
  } else {
    if (input.from !== undefined) column.source = { kind: 'attributes', attributes: asArray(input.from) };
    else if (input.template !== undefined) column.source = parseTemplate(input.template);
    else if (input.value !== undefined) column.source = { kind: 'constant', value: input.value };
    column.formats = asArray(input.format);
    column.multi = input.multi ?? 'first';
    column.separator = input.separator ?? '; ';
    column.required = input.required ?? false;
    column.unique = input.unique ?? false;
    column.maxLength = input.maxLength;
  }
  for (const message of binaryProblems(columnAttributes(column), column.formats, knownBinary))
    issues.push({ path, message });
  if (column.source.kind === 'template') {
    const empty = column.source.parts.some((p) => 'attribute' in p && p.attribute === '');
    if (empty) issues.push({ path, message: 'template has an empty {} placeholder; write {attributeName}' });
  }
  return column;
}

/** The columns of a custom layout: the config's `columns:` and the location column. */
function customColumns(options: LayoutOptions, issues: LayoutIssue[]): CompiledColumn[] {
  const overrides = options.columns ?? {};
  const columns: CompiledColumn[] = [];
  if (Object.keys(overrides).length === 0) {
    issues.push({
      path: ['columns'],
      message: 'the custom profile needs its columns defined under columns:',
    });
  }
  if (options.locationColumn !== undefined && options.locationColumn in overrides) {
    issues.push({
      path: ['columns', options.locationColumn],
      message: `"${options.locationColumn}" is target.locationColumn: it is filled from the location and cannot also be mapped`,
    });
  }
  for (const [header, input] of Object.entries(overrides)) {
    columns.push(compileOne(header, undefined, input, ['columns', header], issues));
    // The header row is a cell too: the CSV an admin opens must hold no formula.
    if (isFormulaLike(header))
      issues.push({
        path: ['columns', header],
        message: `a header starting with "${header.trimStart()[0] ?? ''}" is a formula to a spreadsheet; name the column otherwise`,
      });
  }
  if (options.locationColumn !== undefined) {
    columns.push({
      ...compileOne(options.locationColumn, 'location', undefined, [], issues),
      source: { kind: 'location' },
    });
  }
  return columns;
}

/** Config `columns:` keys a built-in layout does not have, or that it fills itself. */
function overrideIssues(name: string, layout: readonly ProfileColumn[], overrides: object): LayoutIssue[] {
  const headers = layout.map((c) => c.header);
  return Object.keys(overrides).flatMap((key): LayoutIssue[] => {
    const known = layout.find((c) => c.header === key);
    if (!known) {
      const hint = suggest(key, headers);
      return [
        {
          path: ['columns', key],
          message: `"${key}" is not a ${name} column${hint ? `; did you mean "${hint}"?` : ''} (columns: ${headers.join(', ')})`,
        },
      ];
    }
    if (known.role === 'location')
      return [
        {
          path: ['columns', key],
          message: `"${key}" is filled from the location's slug and cannot be mapped`,
        },
      ];
    return [];
  });
}

/** The columns of a built-in layout, with the config's overrides and the directory's defaults. */
function builtInColumns(
  options: LayoutOptions,
  layout: readonly ProfileColumn[],
  issues: LayoutIssue[],
): CompiledColumn[] {
  const { profile } = options;
  const overrides = options.columns ?? {};
  if (options.locationColumn !== undefined) {
    issues.push({
      path: ['target', 'locationColumn'],
      message: `only the custom profile takes locationColumn; ${profile.name} always uses its own location column`,
    });
  }
  issues.push(...overrideIssues(profile.name, layout, overrides));
  return layout.map((pc) => {
    if (pc.role === 'location')
      return { ...compileOne(pc.header, pc.role, undefined, [], issues), source: { kind: 'location' } };
    const input = overrides[pc.header] ?? pc.defaults?.[options.kind];
    const compiled = compileOne(pc.header, pc.role, input, ['columns', pc.header], issues);
    // The vendors need dialable numbers: phone columns are always read as phone numbers.
    if (PHONE_ROLES.has(pc.role) && !compiled.formats.includes('phone')) compiled.formats.push('phone');
    compiled.unique = compiled.unique || profile.rules.unique.includes(pc.role);
    return compiled;
  });
}

/**
 * Build the column layout from a vendor profile, the directory kind and the config's `columns:`.
 * Problems (an unknown column for a built-in profile, a custom profile without columns…) are
 * returned as config issues so they are reported with the rest of the config's problems.
 * @param options profile, kind and overrides
 */
export function compileColumns(options: LayoutOptions): { set: ColumnSet; issues: LayoutIssue[] } {
  const issues: LayoutIssue[] = [];
  const { profile } = options;
  const columns =
    profile.columns === undefined
      ? customColumns(options, issues)
      : builtInColumns(options, profile.columns, issues);
  const vendorMax = profile.columns === undefined ? undefined : profile.rules.maxLength;
  const roles: Partial<Record<ColumnRole, number>> = {};
  columns.forEach((c, i) => {
    if (c.role) roles[c.role] ??= i;
    c.rule = cellRule(vendorMax, c.role, c);
  });
  const attributes = new Set<string>();
  const bufferAttributes = new Set<string>();
  for (const c of columns) {
    for (const a of columnAttributes(c)) {
      attributes.add(a);
      if (c.formats[0] === 'guid' || c.formats[0] === 'sid') bufferAttributes.add(a);
    }
  }
  return {
    set: {
      profile: profile.name,
      columns,
      headers: columns.map((c) => c.header),
      locationIndex: roles.location,
      roles,
      rules: profile.rules,
      attributes: [...attributes],
      bufferAttributes: [...bufferAttributes],
    },
    issues,
  };
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
