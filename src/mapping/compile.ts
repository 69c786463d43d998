import type { DirectoryKind } from '../directory/types.js';
import { isFormulaLike } from '../util/spreadsheet.js';
import { suggest } from '../util/suggest.js';
import { cellRule } from './cells.js';
import { binaryProblems, knownBinary } from './binary-attributes.js';
import { columnAttributes, type ColumnSet, type ColumnSource, type CompiledColumn } from './columns.js';
import type { ColumnRole, LayoutProfile, ProfileColumn } from './profiles.js';
import { PHONE_FORMATS, type ColumnInput, type FormatName, type LayoutIssue } from './types.js';

/*
 * Compiling a vendor profile and the config's `columns:` into the layout every row is mapped by.
 */

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

/**
 * A phone column's formats: the vendors need numbers they can dial or text, so a column without a
 * phone format of its own gets the vendor's, before any `digits` (which would otherwise strip
 * the + of an international number and leave digits no country reads the same way).
 */
function phoneFormats(formats: FormatName[], vendorFormat: FormatName): FormatName[] {
  if (formats.some((f) => PHONE_FORMATS.includes(f))) return formats;
  const digits = formats.indexOf('digits');
  if (digits < 0) return [...formats, vendorFormat];
  return [...formats.slice(0, digits), vendorFormat, ...formats.slice(digits)];
}

/** Whether `digits` comes before the first phone format (the config's own order). */
function digitsBeforePhone(formats: FormatName[]): boolean {
  const phone = formats.findIndex((f) => PHONE_FORMATS.includes(f));
  const digits = formats.indexOf('digits');
  return digits >= 0 && phone > digits;
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
    if (PHONE_ROLES.has(pc.role))
      compiled.formats = phoneFormats(compiled.formats, profile.rules.phoneFormat);
    if (PHONE_ROLES.has(pc.role) && digitsBeforePhone(compiled.formats))
      issues.push({
        path: ['columns', pc.header, 'format'],
        message: `"digits" before a phone format strips the + of international numbers; put "digits" after it (or leave the phone format out: ${profile.name} adds ${profile.rules.phoneFormat} first)`,
      });
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
