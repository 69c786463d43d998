import type { ResolvedConfig } from '../../config/types.js';
import type { DirectorySource, SourceEntry } from '../../directory/types.js';
import { sourceAttributes } from '../../mapping/origin.js';
import { ExtraContacts } from '../../pipeline/extra-contacts.js';

/** People shown for one query at most; a name part that matches more asks for a closer one. */
export const MAX_PEOPLE = 25;

/**
 * The attributes the layout's email column reads, for matching a query by email.
 * @param config the resolved config
 */
function emailAttributes(config: ResolvedConfig): string[] {
  const column =
    config.layout.roles.email === undefined ? undefined : config.layout.columns[config.layout.roles.email];
  return column ? sourceAttributes(column.source) : [];
}

/**
 * Find the people a query names in the directory (the source decides how: by DN, email, login
 * or part of a name).
 * @param source the open directory
 * @param config the resolved config
 * @param query what was asked about
 * @returns the entries (at most {@link MAX_PEOPLE}) and whether there were more
 */
export async function findPeople(
  source: DirectorySource,
  config: ResolvedConfig,
  query: string,
): Promise<{ people: SourceEntry[]; more: boolean }> {
  const people = await source.findPeople(
    {
      query,
      attributes: config.layout.attributes,
      bufferAttributes: config.layout.bufferAttributes,
      emailAttributes: emailAttributes(config),
      limit: MAX_PEOPLE + 1,
    },
    config.locations,
  );
  return { people: people.slice(0, MAX_PEOPLE), more: people.length > MAX_PEOPLE };
}

/** A row of an `extraContacts:` file that a query names. */
export interface ListedContact {
  /** "FILE line N". */
  source: string;
  /** The location its row names. */
  slug: string;
  /** Its cells. */
  cells: string[];
}

/**
 * Find the rows of the `extraContacts:` files a query names: by their email, SMS phone or
 * identification, by their source ("contractors.csv line 4", or a file name for all its
 * rows), or by part of their first or last name.
 * @param config the resolved config
 * @param query what was asked about
 * @returns the rows (at most {@link MAX_PEOPLE}) and whether there were more
 */
export async function findExtraContacts(
  config: ResolvedConfig,
  query: string,
): Promise<{ people: ListedContact[]; more: boolean }> {
  const { roles } = config.layout;
  const asked = query.toLowerCase();
  const cell = (cells: readonly string[], i: number | undefined): string =>
    i === undefined ? '' : (cells[i] ?? '').toLowerCase();
  const wanted = ({ source, cells }: { source: string; cells: readonly string[] }): boolean => {
    const from = source.toLowerCase();
    if (from === asked || from.startsWith(`${asked} line `)) return true;
    if ([roles.email, roles.smsPhone, roles.identification].some((i) => cell(cells, i) === asked))
      return true;
    return [roles.firstName, roles.lastName].some((i) => cell(cells, i).includes(asked));
  };
  // Rejected rows are not kept by the files' reader: the first ones asked about are kept here.
  const rejected: ListedContact[] = [];
  const extras = await ExtraContacts.load(config, (_slug, r) => {
    const row = { source: r.dn, slug: r.location, cells: r.cells };
    if (rejected.length <= MAX_PEOPLE && wanted(row)) rejected.push(row);
  });
  if (!extras) return { people: [], more: false };
  const found = [...extras.listed().filter(wanted), ...rejected].sort((a, b) =>
    a.source.localeCompare(b.source, 'en', { numeric: true }),
  );
  return { people: found.slice(0, MAX_PEOPLE), more: found.length > MAX_PEOPLE };
}
