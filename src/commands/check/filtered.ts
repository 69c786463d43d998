import type { ResolvedConfig } from '../../config/types.js';
import { exportContacts, type ExportWarning } from '../../pipeline/export.js';
import { plural } from '../output.js';

/** DNs named in a warning about the people a filter leaves out. */
const EXAMPLES = 3;

/**
 * The key of a valid row in {@link droppedByFilter}'s comparison.
 * @param location the row's location slug
 * @param dn the row's entry
 */
export const rowKey = (location: string, dn: string): string => `${location}\n${dn}`;

/**
 * The people `directory.filter` leaves out who would be valid rows without it, per location: an
 * admin who copied the starter's filter must learn that SMS-only contacts never arrive. Reads the
 * directory once more, without the filter (check only; a push reads it once).
 * @param config the resolved config
 * @param kept the valid rows of the read with the filter ({@link rowKey})
 * @returns per location, how many were left out, and a warning for each location that lost any
 */
export async function droppedByFilter(
  config: ResolvedConfig,
  kept: ReadonlySet<string>,
): Promise<{ counts: Map<string, number>; warnings: ExportWarning[] }> {
  const counts = new Map<string, number>();
  const warnings: ExportWarning[] = [];
  const directory = config.directory;
  if (!('filter' in directory) || directory.filter === undefined) return { counts, warnings };
  const examples = new Map<string, string[]>();
  await exportContacts(
    {
      ...config,
      extraContacts: { ...config.extraContacts, files: [] },
      directory: { ...directory, filter: undefined },
    },
    {
      sink: {
        row: ({ location, dn, source }) => {
          if (source !== undefined || kept.has(rowKey(location, dn))) return;
          counts.set(location, (counts.get(location) ?? 0) + 1);
          const list = examples.get(location) ?? [];
          if (list.length < EXAMPLES) examples.set(location, [...list, dn]);
        },
      },
    },
  );
  for (const [slug, count] of counts) {
    const names = (examples.get(slug) ?? []).join('; ');
    warnings.push({
      message: `directory.filter ${directory.filter} leaves out ${plural(count, 'person', 'people')} of ${slug} who would be valid rows without it (${names}${count > EXAMPLES ? '; …' : ''}); widen the filter if they belong on the kiosk`,
    });
  }
  return { counts, warnings };
}
