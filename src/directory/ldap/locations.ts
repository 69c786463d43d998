import { buildLocationFilter } from '../filter.js';
import type { AttributeRequest, LocationConfig } from '../types.js';
import type { SearchRequest } from './entries.js';
import type { LdapModelSettings } from './model.js';

/** One search of one location. */
export type LocationSearch = SearchRequest & {
  slug: string;
  groups: readonly string[];
  /** Whether its groups count nested membership. */
  nested: boolean;
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
 */
export function planSearches(
  settings: LdapModelSettings,
  locations: readonly LocationConfig[],
  request: AttributeRequest,
): LocationSearch[] {
  return locations.flatMap((location) => {
    const bases =
      location.ous.length > 0 ? location.ous : settings.baseDN !== undefined ? [settings.baseDN] : [];
    const filter = buildLocationFilter({
      userFilter: settings.userFilter,
      filter: settings.filter,
      groups: location.groups,
      nested: location.nested,
    });
    return bases.map((base) => ({
      groups: location.groups,
      nested: location.nested,
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
