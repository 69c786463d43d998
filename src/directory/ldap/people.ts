import { inScope, parseDn } from '../dn.js';
import { escapeFilterValue } from '../filter.js';
import type { LocationConfig, PeopleQuery, SourceEntry } from '../types.js';
import type { EntryDirectory } from './entries.js';
import type { LdapModelSettings } from './model.js';

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
 * @param attributes the layout's attributes
 */
function personAttributes(attributes: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...attributes, ...EXPLAIN_ATTRIBUTES].filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The filter that finds a person by email, login or part of a name, on none of the location's
 * conditions (a disabled or filtered-out person is found too).
 * @param query what was asked about
 * @param emailAttributes the attributes the layout's email column reads
 */
function personFilter(query: string, emailAttributes: readonly string[]): string {
  const value = escapeFilterValue(query);
  const email = [...new Set(['mail', ...emailAttributes])];
  const exact = [...email, ...LOGIN_ATTRIBUTES].map((a) => `(${a}=${value})`);
  const names = NAME_ATTRIBUTES.map((a) => `(${a}=*${value}*)`).join('');
  // A part of a name would find groups and OUs too ("Ware" in "Warehouse Staff"): people only.
  const people = PERSON_CLASSES.map((c) => `(objectClass=${c})`).join('');
  return `(|${exact.join('')}(&(|${names})(|${people})))`;
}

/**
 * The server's own naming contexts (root DSE): its defaultNamingContext (AD), else every
 * namingContexts value. A file has no root DSE, and has none.
 * @param source the open directory
 */
export async function namingContexts(source: EntryDirectory): Promise<string[]> {
  const attributes = ['defaultNamingContext', 'namingContexts'];
  const [root] = await source.find({
    base: '',
    scope: 'base',
    filter: '(objectClass=*)',
    attributes,
    bufferAttributes: [],
    limit: 1,
  });
  if (root === undefined || root.dn !== '') return [];
  const text = (name: string): string[] =>
    root.get(name).flatMap((v) => (typeof v === 'string' && v !== '' ? [v] : []));
  const preferred = text('defaultNamingContext');
  return preferred.length > 0 ? preferred : text('namingContexts');
}

/**
 * Where people are looked for: directory.baseDN (without one, the server's naming contexts) and
 * every location's OUs not below it, each once, so a person outside every location's OUs is
 * still found (the one an admin asks about: "why is Bob, who moved, not on the kiosk?").
 * @param settings the source's settings
 * @param locations the configured location entries
 * @param contexts the server's naming contexts, used when baseDN is not set
 */
function searchBases(
  settings: LdapModelSettings,
  locations: readonly LocationConfig[],
  contexts: readonly string[],
): string[] {
  const all = [
    ...(settings.baseDN !== undefined ? [settings.baseDN] : contexts),
    ...locations.flatMap((l) => l.ous),
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

/** Whether a query is a DN (looked up as such) rather than an email, login or name. */
function isDnQuery(query: string): boolean {
  return query.includes('=') && (parseDn(query)?.length ?? 0) > 0;
}

/**
 * Find the people a query names: the entry itself for a DN, else every entry of the search
 * bases whose email, login or name matches.
 * @param source the open directory
 * @param settings the source's settings
 * @param locations the configured location entries
 * @param query what was asked, the attributes to read and how many at most
 */
export async function findPeople(
  source: EntryDirectory,
  settings: LdapModelSettings,
  locations: readonly LocationConfig[],
  query: PeopleQuery,
): Promise<SourceEntry[]> {
  const attributes = personAttributes(query.attributes);
  const { bufferAttributes, limit } = query;
  const dnQuery = isDnQuery(query.query);
  const contexts = dnQuery || settings.baseDN !== undefined ? [] : await namingContexts(source);
  const requests = dnQuery
    ? [{ base: query.query, scope: 'base' as const, filter: '(objectClass=*)' }]
    : searchBases(settings, locations, contexts).map((base) => ({
        base,
        scope: 'sub' as const,
        filter: personFilter(query.query, query.emailAttributes),
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
  return people.slice(0, limit);
}
