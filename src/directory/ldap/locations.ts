import { normalizeDn } from '../dn.js';
import { anyMemberFilter, buildLocationFilter, memberFilter } from '../filter.js';
import type { AttributeRequest, LocationConfig } from '../types.js';
import type { SearchRequest } from './entries.js';
import { hasInChain, type LdapModelSettings } from './model.js';
import type { NestedGroup } from './nested.js';

/** The groups found inside each location group that is walked, by its normalised DN. */
export type GroupsInside = ReadonlyMap<string, readonly NestedGroup[]>;

/**
 * The key of a group in {@link GroupsInside}.
 * @param dn the group's DN
 */
export function groupKey(dn: string): string {
  return normalizeDn(dn) ?? dn.toLowerCase();
}

/**
 * Whether a location's nested membership is read by walking its groups down (see nested.ts):
 * it counts nested membership on a directory without AD's in-chain rule.
 * @param settings the source's settings
 * @param location the location entry
 */
export function walksGroups(settings: LdapModelSettings, location: LocationConfig): boolean {
  return location.nested && location.groups.length > 0 && !hasInChain(settings);
}

/**
 * The filter clause of membership in one group of a location: direct; through nested groups by
 * AD's in-chain rule; or, without that rule, direct membership of the group or of any group
 * found inside it.
 */
function memberClause(
  settings: LdapModelSettings,
  location: LocationConfig,
  inside: GroupsInside,
): (group: string) => string {
  if (!walksGroups(settings, location)) return (group) => memberFilter(group, location.nested);
  return (group) => {
    const nested = inside.get(groupKey(group));
    // A programming error, never a quiet fallback to direct members: that is the short read
    // the walk exists to prevent.
    if (nested === undefined) throw new Error(`the nested groups of ${group} were not read`);
    return anyMemberFilter([group, ...nested.map((n) => n.dn)]);
  };
}

/** One search of one location. */
export type LocationSearch = SearchRequest & {
  slug: string;
  groups: readonly string[];
  /** Whether its groups count nested membership. */
  nested: boolean;
  /** The filter clause of membership in one of its groups. */
  member: (group: string) => string;
};

/**
 * A stable key for one search of one location, so runs can be compared search by search (kept
 * in the last good push: the format must not change).
 * @param search the search
 * @param search.slug location slug
 * @param search.base search base
 * @param search.groups group DNs
 */
export function searchKey(search: { slug: string; base: string; groups: readonly string[] }): string {
  return [search.slug, search.base.toLowerCase(), ...search.groups.map((g) => g.toLowerCase())].join(' | ');
}

/**
 * The searches of each location: one per OU (or directory.baseDN), with the user filter, the
 * extra filter and the membership of any of its groups.
 * @param settings the source's settings
 * @param locations the configured location entries
 * @param request the attributes to read (with the entries' identity)
 * @param inside the groups inside each group that is walked (see {@link walksGroups})
 */
export function planSearches(
  settings: LdapModelSettings,
  locations: readonly LocationConfig[],
  request: AttributeRequest,
  inside: GroupsInside = new Map(),
): LocationSearch[] {
  return locations.flatMap((location) => {
    const bases =
      location.ous.length > 0 ? location.ous : settings.baseDN !== undefined ? [settings.baseDN] : [];
    const member = memberClause(settings, location, inside);
    const filter = buildLocationFilter({
      userFilter: settings.userFilter,
      filter: settings.filter,
      groups: location.groups,
      member,
    });
    return bases.map((base) => ({
      groups: location.groups,
      nested: location.nested,
      member,
      slug: location.slug,
      location: location.slug,
      base,
      scope: location.scope,
      filter,
      attributes: request.attributes,
      bufferAttributes: request.bufferAttributes,
    }));
  });
}

/**
 * What a location's searches look at, for the warning when they return nobody.
 * @param settings the source's settings
 * @param location one configured location entry
 */
export function describeLocation(settings: LdapModelSettings, location: LocationConfig): string[] {
  return [
    location.ous.length > 0 ? `ous ${location.ous.join('; ')}` : `baseDN ${settings.baseDN ?? '(none)'}`,
    ...(location.groups.length > 0 ? [`groups ${location.groups.join('; ')}`] : []),
  ];
}
