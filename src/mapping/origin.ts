import type { ColumnSource, CompiledColumn, EntryLike } from './columns.js';

/** Where a location column's value comes from, as {@link columnOrigin} says it. */
export const LOCATION_ORIGIN = '(the location slug)';

/**
 * The attributes a column's value is read from (none for a constant, the location or nothing).
 * @param source the column's source
 */
export function sourceAttributes(source: ColumnSource): string[] {
  if (source.kind === 'attributes') return source.attributes;
  if (source.kind === 'template') return source.parts.flatMap((p) => ('attribute' in p ? [p.attribute] : []));
  return [];
}

/**
 * Where a column's value came from for one entry, in words: the attribute that had a value (the
 * first of a list that has one), the template and its attributes, the location's slug, a
 * constant, or nothing mapped. Says how `adsync explain` got each cell; mapping itself stays in
 * mapEntry.
 * @param column the compiled column
 * @param entry the directory entry
 */
export function columnOrigin(column: CompiledColumn, entry: EntryLike): string {
  const source = column.source;
  const has = (attribute: string): boolean =>
    entry.get(attribute).some((v) => (typeof v === 'string' ? v !== '' : v.length > 0));
  switch (source.kind) {
    case 'empty':
      return '(not mapped)';
    case 'location':
      return LOCATION_ORIGIN;
    case 'constant':
      return '(constant)';
    case 'attributes': {
      const used = source.attributes.find(has);
      return used ?? `${source.attributes.join(' or ')} (no value)`;
    }
    case 'template': {
      const text = source.parts.map((p) => ('text' in p ? p.text : `{${p.attribute}}`)).join('');
      const missing = sourceAttributes(source).filter((a) => !has(a));
      return `template "${text}"${missing.length > 0 ? ` (no value: ${missing.join(', ')})` : ''}`;
    }
  }
}
