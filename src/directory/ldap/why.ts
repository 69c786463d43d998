import { inScope, normalizeDn, parseDn } from '../dn.js';
import { normalizeFilter } from '../filter.js';
import type { LocationConfig, SearchCheck, SourceEntry } from '../types.js';
import type { EntryDirectory } from './entries.js';
import { planSearches, type GroupsInside, type LocationSearch } from './locations.js';
import type { LdapModelSettings } from './model.js';

/** Groups read at most while walking a person's nested membership upward. */
const MAX_GROUPS = 200;

/** AD's user filter without its enabled-accounts clause: what "a person" means there. */
const AD_PERSON = '(&(objectCategory=person)(objectClass=user))';

/** A group a person belongs to, as reached from the person: its DN and the group it came through. */
interface Reached {
  dn: string;
  /** Normalised DN of the group it is a member of, on the way from the person; undefined: direct. */
  via: string | undefined;
}

const text = (v: string | Uint8Array): string =>
  typeof v === 'string' ? v : Buffer.from(v).toString('utf8');

/**
 * The groups a person is in: directly (its memberOf), and, when `nested`, through the groups
 * those are in, walked upward breadth first (bounded), remembering the way.
 */
async function groupsOf(
  source: EntryDirectory,
  person: SourceEntry,
  nested: boolean,
): Promise<Map<string, Reached>> {
  const reached = new Map<string, Reached>();
  const queue: string[] = [];
  const add = (dn: string, via: string | undefined): void => {
    const key = normalizeDn(dn) ?? dn.toLowerCase();
    if (reached.has(key)) return;
    reached.set(key, { dn, via });
    queue.push(key);
  };
  for (const value of person.get('memberOf')) add(text(value), undefined);
  if (!nested) return reached;
  for (let read = 0; read < queue.length && read < MAX_GROUPS; read++) {
    const key = queue[read] ?? '';
    const group = reached.get(key);
    if (!group) continue;
    const [entry] = await source.find({
      base: group.dn,
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: ['memberOf'],
      bufferAttributes: [],
      limit: 1,
    });
    for (const value of entry?.get('memberOf') ?? []) add(text(value), key);
  }
  return reached;
}

/** The way from a person to a group: person → g1 → … → group (undefined: not reached). */
function chainTo(reached: ReadonlyMap<string, Reached>, group: string, person: string): string | undefined {
  const path: string[] = [];
  for (let key: string | undefined = normalizeDn(group) ?? group.toLowerCase(); key !== undefined;) {
    const step = reached.get(key);
    if (!step || path.length > MAX_GROUPS) return undefined;
    path.unshift(step.dn);
    key = step.via;
  }
  return [person, ...path].join(' → ');
}

/** Why the user filter leaves a person out, in the admin's words. */
function userFilterWhy(
  settings: LdapModelSettings,
  person: SourceEntry,
  isPerson: boolean | undefined,
): string[] {
  const filter = normalizeFilter(settings.userFilter);
  if (settings.flavor !== 'ad') {
    const classes = person.get('objectClass').map(text).join(', ') || 'none';
    return [`excluded by the user filter ${filter} (objectClass: ${classes})`];
  }
  const why: string[] = [];
  const uac = Number(text(person.get('userAccountControl')[0] ?? ''));
  if (Number.isInteger(uac) && (uac & 2) !== 0)
    why.push(`the account is disabled (userAccountControl ${uac} has bit 2, ACCOUNTDISABLE)`);
  if (isPerson === false) {
    const classes = person.get('objectClass').map(text).join(', ') || 'none';
    why.push(
      `not a person: the user filter takes objectCategory=person and objectClass=user (objectClass: ${classes})`,
    );
  }
  return why.length > 0 ? why : [`excluded by directory.userFilter ${filter}`];
}

/**
 * Explain each search of each location for one person: whether it is in the search's base and
 * scope, and which part of the filter leaves it out (the user filter, with AD's disabled flag
 * and "not a person" told apart; directory.filter; each group, with the chain of nested groups
 * that makes it a member, or the groups that were checked). Each filter part is evaluated by the
 * directory itself (a base-scope search of the person), so it says what push's search does.
 * @param source the open directory
 * @param settings the source's settings
 * @param locations the configured location entries
 * @param person the person's entry (with objectClass, userAccountControl and memberOf)
 * @param inside the groups inside each location group that is walked (no in-chain rule)
 * @returns per location slug, its searches
 */
export async function explainSearches(
  source: EntryDirectory,
  settings: LdapModelSettings,
  locations: readonly LocationConfig[],
  person: SourceEntry,
  inside: GroupsInside,
): Promise<Map<string, SearchCheck[]>> {
  const d = settings;
  const searches = planSearches(settings, locations, { attributes: [], bufferAttributes: [] }, inside);
  const filters = [normalizeFilter(d.userFilter)];
  const isAd = d.flavor === 'ad';
  if (isAd) filters.push(AD_PERSON);
  if (d.filter !== undefined) filters.push(normalizeFilter(d.filter));
  const memberIndex = new Map<string, number>();
  for (const s of searches) {
    for (const group of s.groups) {
      const f = s.member(group);
      if (!memberIndex.has(f)) memberIndex.set(f, filters.push(f) - 1);
    }
  }
  const answers = await source.matches(person.dn, filters);
  const userOk = answers[0] === true;
  const isPerson = isAd ? answers[1] : undefined;
  const filterOk = d.filter === undefined || answers[isAd ? 2 : 1] === true;
  const nested = searches.some((s) => s.nested && s.groups.length > 0);
  const reached = searches.some((s) => s.groups.length > 0)
    ? await groupsOf(source, person, nested)
    : new Map<string, Reached>();
  const dn = parseDn(person.dn) ?? [];
  const out = new Map<string, SearchCheck[]>();
  for (const search of searches) {
    const why: string[] = [];
    const base = parseDn(search.base) ?? [];
    if (!inScope(dn, base, search.scope)) {
      why.push(
        search.scope === 'one'
          ? `not a direct child of ${search.base} (scope: one)`
          : `outside ${search.base} (not in its subtree)`,
      );
    }
    if (!userOk) why.push(...userFilterWhy(settings, person, isPerson));
    if (!filterOk) why.push(`excluded by directory.filter ${normalizeFilter(d.filter ?? '')}`);
    const groupWhy = groupsWhy(search, answers, memberIndex, reached, person.dn);
    if (!groupWhy.member) why.push(...groupWhy.lines);
    const matched = why.length === 0;
    if (matched) why.push(`matched by the search of ${search.base}`, ...groupWhy.lines);
    const list = out.get(search.slug) ?? [];
    out.set(search.slug, list);
    const label = `search of ${search.base}${search.groups.length > 0 ? ' (groups)' : ''}`;
    list.push({ label, base: search.base, scope: search.scope, groups: [...search.groups], matched, why });
  }
  return out;
}

/** Group membership of one search: a member of any of its groups (and how), or of none (and what was checked). */
function groupsWhy(
  search: LocationSearch,
  answers: readonly boolean[],
  memberIndex: ReadonlyMap<string, number>,
  reached: ReadonlyMap<string, Reached>,
  person: string,
): { member: boolean; lines: string[] } {
  if (search.groups.length === 0) return { member: true, lines: [] };
  const member = search.groups.filter((g) => answers[memberIndex.get(search.member(g)) ?? -1] === true);
  if (member.length > 0) {
    return {
      member: true,
      lines: member.map((g) => {
        const chain = chainTo(reached, g, person);
        const direct = reached.get(normalizeDn(g) ?? g.toLowerCase())?.via === undefined;
        if (chain === undefined) return `member of ${g}${search.nested ? ' (through nested groups)' : ''}`;
        return direct ? `member of ${g} (directly)` : `member of ${g} through nested groups: ${chain}`;
      }),
    };
  }
  // Direct membership only: the groups the person is in itself, not those reached through them.
  const checked = [...reached.values()].filter((r) => search.nested || r.via === undefined).map((r) => r.dn);
  const list = checked.length > 0 ? checked.join('; ') : 'none';
  return {
    member: false,
    lines: search.groups.map((g) =>
      search.nested
        ? `not a member of ${g}, directly or through nested groups (groups checked: ${list})`
        : `not a member of ${g} (direct membership only; member of: ${list})`,
    ),
  };
}
