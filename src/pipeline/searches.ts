import type { ResolvedConfig } from '../config/types.js';
import { buildLocationFilter } from '../directory/filter.js';
import type { SearchRequest } from '../directory/types.js';
import { directoryIdAttributes } from '../mapping/directory-id.js';

/** One search of one location. */
export type LocationSearch = SearchRequest & {
  slug: string;
  groups: readonly string[];
  /** Whether its groups count nested membership. */
  nested: boolean;
};

/**
 * A stable key for one search of one location, so runs can be compared search by search.
 * @param search the search
 * @param search.slug location slug
 * @param search.base search base
 * @param search.groups group DNs
 */
export function searchKey(search: { slug: string; base: string; groups: readonly string[] }): string {
  return [search.slug, search.base.toLowerCase(), ...search.groups.map((g) => g.toLowerCase())].join(' | ');
}

/**
 * The directory-specific part of a run: the searches of each location.
 * @param config the resolved config
 */
export function planSearches(config: ResolvedConfig): LocationSearch[] {
  const d = config.directory;
  // Each entry's directory identity comes along, so a changed email is seen as a rename.
  const id = directoryIdAttributes(d.kind, d.ldifFile !== undefined);
  const attributes = [...new Set([...config.layout.attributes, ...id.attributes])];
  const bufferAttributes = [...new Set([...config.layout.bufferAttributes, ...id.bufferAttributes])];
  return config.locations.flatMap((location) => {
    const bases = location.ous.length > 0 ? location.ous : d.baseDN !== undefined ? [d.baseDN] : [];
    const filter = buildLocationFilter({
      userFilter: d.userFilter,
      filter: d.filter,
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
      attributes,
      bufferAttributes,
    }));
  });
}
