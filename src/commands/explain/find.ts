import type { ResolvedConfig } from '../../config/types.js';
import { inScope, parseDn } from '../../directory/dn.js';
import { escapeFilterValue } from '../../directory/filter.js';
import type { DirectorySource, SourceEntry } from '../../directory/types.js';
import { sourceAttributes } from '../../mapping/origin.js';
import { ExtraContacts } from '../../pipeline/extra-contacts.js';

/** People shown for one query at most; a name part that matches more asks for a closer one. */
export const MAX_PEOPLE = 25;

/** Attributes the explanation reads besides the layout's: logins, names, flags, groups. */
const EXPLAIN_ATTRIBUTES = [
  'objectClass',
  'objectCategory',
  'userAccountControl',
  'memberOf',
  'mail',
  'uid',
  'sAMAccountName',
  'userPrincipalName',
  'cn',
  'displayName',
  'givenName',
  'sn',
];

/** Logins a person may be asked about by, on either flavour (an unknown attribute matches nobody). */
const LOGIN_ATTRIBUTES = ['sAMAccountName', 'uid', 'userPrincipalName'];
/** Name attributes searched for a part of a name. */
const NAME_ATTRIBUTES = ['cn', 'displayName', 'sn', 'givenName'];

/** Object classes of people (listed as a file export may hold only the most specific one). */
const PERSON_CLASSES = ['person', 'organizationalPerson', 'inetOrgPerson', 'user', 'contact'];

/**
 * The attributes to read of a person: what the layout maps (so the row is mapped as push maps
 * it) and what the explanation needs.
 * @param config the resolved config
 */
export function personAttributes(config: ResolvedConfig): string[] {
  const seen = new Set<string>();
  return [...config.layout.attributes, ...EXPLAIN_ATTRIBUTES].filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The attributes the layout's email column reads (the `mail` attribute besides), for matching
 * a query by email.
 * @param config the resolved config
 */
function emailAttributes(config: ResolvedConfig): string[] {
  const column =
    config.layout.roles.email === undefined ? undefined : config.layout.columns[config.layout.roles.email];
  return [...new Set(['mail', ...(column ? sourceAttributes(column.source) : [])])];
}

/**
 * The filter that finds a person by email, login or part of a name, on none of the location's
 * conditions (a disabled or filtered-out person is found too).
 * @param config the resolved config
 * @param query what was asked about
 */
export function personFilter(config: ResolvedConfig, query: string): string {
  const value = escapeFilterValue(query);
  const exact = [...emailAttributes(config), ...LOGIN_ATTRIBUTES].map((a) => `(${a}=${value})`);
  const names = NAME_ATTRIBUTES.map((a) => `(${a}=*${value}*)`).join('');
  // A part of a name would find groups and OUs too ("Ware" in "Warehouse Staff"): people only.
  const people = PERSON_CLASSES.map((c) => `(objectClass=${c})`).join('');
  return `(|${exact.join('')}(&(|${names})(|${people})))`;
}

/**
 * Where people are looked for: directory.baseDN and every location's OUs not below it, each
 * once, so a person outside every location's OUs is still found.
 * @param config the resolved config
 */
export function searchBases(config: ResolvedConfig): string[] {
  const all = [
    ...(config.directory.baseDN !== undefined ? [config.directory.baseDN] : []),
    ...config.locations.flatMap((l) => l.ous),
  ];
  const kept: { dn: string; parsed: readonly string[] }[] = [];
  for (const dn of all) {
    const parsed = parseDn(dn);
    if (parsed === undefined) continue;
    if (kept.some((k) => inScope(parsed, k.parsed, 'sub'))) continue;
    // A later, wider base replaces the narrower ones kept before it.
    for (let i = kept.length - 1; i >= 0; i--)
      if (inScope(kept[i]?.parsed ?? [], parsed, 'sub')) kept.splice(i, 1);
    kept.push({ dn, parsed });
  }
  return kept.map((k) => k.dn);
}

/**
 * Whether a query is a DN (looked up as such) rather than an email, login or name.
 * @param query what was asked about
 */
export function isDnQuery(query: string): boolean {
  return query.includes('=') && (parseDn(query)?.length ?? 0) > 0;
}

/**
 * Find the people a query names: the entry itself for a DN, else every entry of the search
 * bases whose email, login or name matches.
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
  const attributes = personAttributes(config);
  const bufferAttributes = config.layout.bufferAttributes;
  const limit = MAX_PEOPLE + 1;
  const requests = isDnQuery(query)
    ? [{ base: query, scope: 'base' as const, filter: '(objectClass=*)' }]
    : searchBases(config).map((base) => ({
        base,
        scope: 'sub' as const,
        filter: personFilter(config, query),
      }));
  const people: SourceEntry[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    for (const entry of await source.find({ ...request, attributes, bufferAttributes, limit })) {
      const key = parseDn(entry.dn)?.join(',') ?? entry.dn.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      people.push(entry);
    }
  }
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
