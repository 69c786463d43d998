/**
 * The value lists and input shapes of column mappings. Imports nothing, so the config schema can
 * be built from these lists (and checked against these shapes) without mapping knowing config.
 */

/** Value formats a column can apply, in order. */
export const FORMATS = [
  'phone',
  'phone-national',
  'lower',
  'upper',
  'trim',
  'digits',
  'guid',
  'sid',
] as const;
/** The formats that read a phone number and keep it whole (a phone column ends in one of them). */
export const PHONE_FORMATS: readonly FormatName[] = ['phone', 'phone-national'];
/** One value format. */
export type FormatName = (typeof FORMATS)[number];

/** How a multi-valued attribute is read: its first value, or all values joined. */
export const MULTI_MODES = ['first', 'join'] as const;
/** One way of reading a multi-valued attribute. */
export type MultiMode = (typeof MULTI_MODES)[number];

/** A column mapping in object form. Exactly one of `from`, `template`, `value`. */
export interface ColumnObjectInput {
  /** Attribute name, or a list of attributes tried in order (first non-empty wins). */
  from?: string | string[] | undefined;
  /** A template such as "{givenName} {sn}". */
  template?: string | undefined;
  /** A constant value for every row. */
  value?: string | undefined;
  /** Formats applied in order. */
  format?: FormatName | FormatName[] | undefined;
  /** Multi-valued attributes: first (default) or join. */
  multi?: MultiMode | undefined;
  /** Separator for multi: join (default "; "). */
  separator?: string | undefined;
  /** Reject rows where this column is empty (custom profile). */
  required?: boolean | undefined;
  /** Reject later rows repeating this value in a location (custom profile). */
  unique?: boolean | undefined;
  /** Longest value in characters, replacing the column's own limit (see docs/configuration.md). */
  maxLength?: number | undefined;
}

/**
 * A column mapping as written: an attribute name, a template (a string containing `{attr}`), a
 * list of fallback attributes, or the object form.
 */
export type ColumnInput = string | string[] | ColumnObjectInput;

/** A problem with the column mapping, located by its key path in the config. */
export interface LayoutIssue {
  /** Key path inside the config, e.g. ['columns', 'Email']. */
  path: (string | number)[];
  /** What is wrong and what is expected. */
  message: string;
}
