import { DirectoryError } from '../../errors.js';
import { inScope, normalizeDn, parseDn } from '../dn.js';
import { anyMemberFilter } from '../filter.js';
import type { EntryDirectory, SearchRequest } from './entries.js';
import { namingContexts } from './people.js';

/**
 * Nested groups where the directory has no in-chain rule (OpenLDAP, 389 DS, an export of one):
 * the groups inside a location's group, at any depth, found by walking down from it one level
 * at a time. A location that counts nested membership then selects the members of any of them
 * with its one paged search, `(|(memberOf=G)(memberOf=N1)…)` in place of `(memberOf=G)`.
 *
 * Why the closure of groups goes into the search rather than its members being read as people:
 * the location's read stays one paged, streamed search whose base, scope, user filter and
 * directory.filter the server evaluates, and which fails on any short read. Reading the member
 * DNs of every group would hold them all in memory, read each person with a search of its own,
 * and judge base, scope and filters outside the server, the way no other location is read.
 *
 * Why the walk asks for the groups by their memberOf rather than reading each group's members:
 * a group's `member` values are mostly people (thousands of them), and telling groups from
 * people among them takes a read per value. The memberOf overlay (which group locations need
 * anyway) puts memberOf on every member entry, member groups included, so one indexed search
 * per level finds exactly the groups listed by the level above. It works within one database,
 * so the walk searches the naming context that holds the location's group.
 */

/** How far a walk goes before it fails instead of reading a shorter closure than there is. */
export const NESTING_LIMITS = {
  /** Levels of groups below the location's group. */
  depth: 16,
  /** Groups inside one location's group. */
  groups: 500,
};

/** A group found inside a location's group. */
export interface NestedGroup {
  /** Its DN, as the directory returned it. */
  dn: string;
  /** The DN of the group that lists it, on the way down from the location's group. */
  via: string;
}

/** Entries that have members: groups (groupOfNames, groupOfUniqueNames, AD's group). */
const HAS_MEMBERS = '(|(member=*)(uniqueMember=*))';

const keyOf = (dn: string): string => normalizeDn(dn) ?? dn.toLowerCase();

const text = (v: string | Uint8Array): string =>
  typeof v === 'string' ? v : Buffer.from(v).toString('utf8');

/**
 * Where the groups inside a group are looked for: the naming context that holds it (the
 * longest, when they nest), else directory.baseDN when it holds it, else the `dc=` suffix of
 * its DN (an export has no root DSE), else its parent.
 * @param group the location's group
 * @param contexts the server's naming contexts
 * @param baseDN directory.baseDN
 */
export function walkBase(group: string, contexts: readonly string[], baseDN: string | undefined): string {
  const dn = parseDn(group) ?? [];
  const holds = (base: string): number => {
    const parsed = parseDn(base);
    return parsed !== undefined && inScope(dn, parsed, 'sub') ? parsed.length : -1;
  };
  const context = contexts.toSorted((a, b) => holds(b) - holds(a))[0];
  if (context !== undefined && holds(context) >= 0) return context;
  if (baseDN !== undefined && holds(baseDN) >= 0) return baseDN;
  // The suffix of dc= RDNs, else the parent (normalised, which a server reads as the same DN).
  let suffix = dn.length;
  while (suffix > 0 && (dn[suffix - 1] ?? '').startsWith('dc=')) suffix--;
  return dn.slice(suffix < dn.length ? suffix : 1).join(',');
}

/** What one walk is asked for. */
export interface WalkRequest {
  /** The location's group. */
  group: string;
  /** Where its nested groups are searched for (see {@link walkBase}). */
  base: string;
  /** The location naming it, for messages. */
  location: string;
  /** Levels to walk: 1 for the groups it lists itself; {@link NESTING_LIMITS}.depth for all. */
  levels: number;
}

/**
 * The groups inside a group, level by level, each once (a cycle ends where it closes). Reading
 * all of them fails beyond {@link NESTING_LIMITS}: a closure cut short would quietly leave the
 * members of the groups not reached out of the location.
 * @param source the open directory
 * @param request the group, where to look, and how deep
 */
export async function groupsInside(source: EntryDirectory, request: WalkRequest): Promise<NestedGroup[]> {
  const { group, levels } = request;
  const seen = new Set([keyOf(group)]);
  const found: NestedGroup[] = [];
  let level = new Map([[keyOf(group), group]]);
  // A whole closure is bounded; one level past the limit tells one that ends there from one that
  // goes on. The groups a group lists itself are only told, and all counted.
  const whole = levels >= NESTING_LIMITS.depth;
  const depth = whole ? NESTING_LIMITS.depth + 1 : levels;
  for (let at = 1; at <= depth && level.size > 0; at++) {
    const next = new Map<string, string>();
    for await (const entry of source.search(levelSearch(request, [...level.values()]))) {
      const key = keyOf(entry.dn);
      if (seen.has(key)) continue;
      if (at > NESTING_LIMITS.depth) throw tooDeep(request, entry.dn);
      seen.add(key);
      const parents = entry.get('memberOf').map(text);
      const via = level.get(parents.map(keyOf).find((p) => level.has(p)) ?? '') ?? parents[0] ?? group;
      found.push({ dn: entry.dn, via });
      if (whole && found.length > NESTING_LIMITS.groups) throw tooMany(request);
      next.set(key, entry.dn);
    }
    level = next;
  }
  return found;
}

/** The search of one level: the groups whose memberOf names a group of the level above. */
function levelSearch(request: WalkRequest, level: readonly string[]): SearchRequest {
  return {
    base: request.base,
    scope: 'sub',
    filter: `(&${HAS_MEMBERS}${anyMemberFilter(level)})`,
    attributes: ['memberOf'],
    bufferAttributes: [],
    location: request.location,
  };
}

const placeOf = (request: WalkRequest): string =>
  `location ${request.location ? `"${request.location}"` : '(all locations)'}: group ${request.group}`;

const NESTING_HINT =
  'Nothing was written. Flatten the groups nested under this one, or list the inner groups in locations[].groups yourself with nested: false.';

function tooDeep(request: WalkRequest, dn: string): DirectoryError {
  return new DirectoryError(
    'LDAP_SEARCH',
    `${placeOf(request)}: nested groups go deeper than ${NESTING_LIMITS.depth} levels (${dn} is below that), so its members cannot all be read`,
    { hint: NESTING_HINT },
  );
}

function tooMany(request: WalkRequest): DirectoryError {
  return new DirectoryError(
    'LDAP_SEARCH',
    `${placeOf(request)}: holds more than ${NESTING_LIMITS.groups} nested groups, so its members cannot all be read`,
    { hint: NESTING_HINT },
  );
}

/**
 * The walks of one open source, each group walked once (a group named by several locations, or
 * asked about by `explain` after the read, is not walked again).
 */
export class GroupNesting {
  private contexts: Promise<string[]> | undefined;
  private readonly walks = new Map<string, Promise<NestedGroup[]>>();

  /**
   * @param source the open directory
   * @param baseDN directory.baseDN (where groups are looked for when the server names no context)
   */
  public constructor(
    private readonly source: EntryDirectory,
    private readonly baseDN: string | undefined,
  ) {}

  /**
   * The groups inside a group, at any depth (fails beyond {@link NESTING_LIMITS}).
   * @param group the location's group
   * @param location the location naming it, for messages
   */
  public all(group: string, location: string): Promise<NestedGroup[]> {
    return this.walk(group, location, NESTING_LIMITS.depth);
  }

  /**
   * The groups a group lists itself.
   * @param group the location's group
   * @param location the location naming it, for messages
   */
  public listed(group: string, location: string): Promise<NestedGroup[]> {
    return this.walk(group, location, 1);
  }

  private walk(group: string, location: string, levels: number): Promise<NestedGroup[]> {
    const key = `${levels} ${keyOf(group)}`;
    let known = this.walks.get(key);
    if (!known) {
      known = this.base(group).then((base) => groupsInside(this.source, { group, base, location, levels }));
      this.walks.set(key, known);
    }
    return known;
  }

  private async base(group: string): Promise<string> {
    this.contexts ??= namingContexts(this.source);
    return walkBase(group, await this.contexts, this.baseDN);
  }
}
