import { directoryIdAttributes } from '../identity.js';
import type {
  AttributeRequest,
  ConnectionInfo,
  DirectorySource,
  LocationConfig,
  LocationRead,
  LocationWarning,
  PeopleQuery,
  SchemaSyntaxes,
  SearchCheck,
  SourceEntry,
} from '../types.js';
import type { EntryDirectory } from './entries.js';
import {
  describeLocation,
  groupKey,
  planSearches,
  searchKey,
  walksGroups,
  type GroupsInside,
} from './locations.js';
import type { LdapModelSettings } from './model.js';
import { GroupNesting, type NestedGroup } from './nested.js';
import { findPeople } from './people.js';
import { explainSearches } from './why.js';

/**
 * A source of the LDAP model over a place that holds entries (a server, or an LDIF export):
 * a location is its searches (one per OU, with the user filter, directory.filter and its
 * groups), a person is looked up by filter, and why a person is (not) in a location is asked of
 * the entries themselves.
 */
export class LdapModelSource implements DirectorySource {
  private readonly nesting: GroupNesting;

  /**
   * @param entries where the entries are
   * @param settings the source's settings
   * @param fromFile the entries come from an export (either flavour's identity may be in it)
   */
  public constructor(
    private readonly entries: EntryDirectory,
    private readonly settings: LdapModelSettings,
    private readonly fromFile: boolean,
  ) {
    this.nesting = new GroupNesting(entries, settings.baseDN);
  }

  /** See {@link DirectorySource.open}. */
  public open(): Promise<ConnectionInfo> {
    return this.entries.open();
  }

  /** See {@link DirectorySource.schemaSyntaxes}. */
  public schemaSyntaxes(): Promise<SchemaSyntaxes> {
    return this.entries.schemaSyntaxes();
  }

  /**
   * Every group named by a location must exist, each checked once. Then its nested groups are
   * read: all of them where the location counts nested membership without AD's in-chain rule
   * (failing now, before any location is read, when there are too many), and those it lists
   * itself where the location counts direct membership only, which are told: their members are
   * left out.
   * @param locations the configured location entries
   */
  public async verifyLocations(locations: readonly LocationConfig[]): Promise<LocationWarning[]> {
    const checked = new Set<string>();
    for (const location of locations) {
      for (const group of location.groups) {
        if (checked.has(group.toLowerCase())) continue;
        checked.add(group.toLowerCase());
        await this.entries.assertExists(group, location.slug);
      }
    }
    await this.groupsInside(locations);
    const warnings: LocationWarning[] = [];
    for (const location of locations.filter((l) => !l.nested)) {
      for (const group of location.groups) {
        const listed = await this.nesting.listed(group, location.slug);
        if (listed.length > 0) warnings.push(notFollowed(location.slug, group, listed));
      }
    }
    return warnings;
  }

  /** The groups inside each group of the locations that walk theirs (see walksGroups). */
  private async groupsInside(locations: readonly LocationConfig[]): Promise<GroupsInside> {
    const inside = new Map<string, NestedGroup[]>();
    for (const location of locations.filter((l) => walksGroups(this.settings, l))) {
      for (const group of location.groups)
        inside.set(groupKey(group), await this.nesting.all(group, location.slug));
    }
    return inside;
  }

  /**
   * One read per search of each location, asking for each entry's identity too (so a changed
   * email is seen as a rename).
   * @param locations the configured location entries
   * @param request the attributes the layout maps
   */
  public async reads(
    locations: readonly LocationConfig[],
    request: AttributeRequest,
  ): Promise<LocationRead[]> {
    const id = directoryIdAttributes(this.settings.flavor, this.fromFile);
    const attributes = [...new Set([...request.attributes, ...id.attributes])];
    const bufferAttributes = [...new Set([...request.bufferAttributes, ...id.bufferAttributes])];
    const inside = await this.groupsInside(locations);
    return planSearches(this.settings, locations, { attributes, bufferAttributes }, inside).map((search) => {
      // Only the request's data: a server's search is posted to its search thread.
      const { base, scope, filter, location } = search;
      const sent = { base, scope, filter, location, attributes, bufferAttributes };
      return {
        slug: search.slug,
        key: searchKey(search),
        base,
        filter,
        entries: (onReference) => this.entries.search(sent, onReference),
      };
    });
  }

  /** See {@link DirectorySource.describe}. */
  public describe(location: LocationConfig): string[] {
    return describeLocation(this.settings, location);
  }

  /**
   * See {@link DirectorySource.findPeople}.
   * @param query what was asked
   * @param locations the configured location entries (their OUs are searched besides baseDN)
   */
  public findPeople(query: PeopleQuery, locations: readonly LocationConfig[]): Promise<SourceEntry[]> {
    return findPeople(this.entries, this.settings, locations, query);
  }

  /**
   * See {@link DirectorySource.explain}.
   * @param person the person's entry
   * @param locations the configured location entries
   */
  public async explain(
    person: SourceEntry,
    locations: readonly LocationConfig[],
  ): Promise<Map<string, SearchCheck[]>> {
    return explainSearches(
      this.entries,
      this.settings,
      locations,
      person,
      await this.groupsInside(locations),
    );
  }

  /** See {@link DirectorySource.close}. */
  public close(): Promise<void> {
    return this.entries.close();
  }
}

/** The warning for a location's group whose member groups are not followed (`nested: false`). */
function notFollowed(slug: string, group: string, listed: readonly NestedGroup[]): LocationWarning {
  const shown = listed.slice(0, 5).map((g) => g.dn);
  const more = listed.length > shown.length ? ` and ${listed.length - shown.length} more` : '';
  const name = slug ? `location ${slug}` : 'the location (all locations)';
  return {
    location: slug,
    message: `${name}: group ${group} has member groups whose members are left out (nested: false counts direct members only): ${shown.join('; ')}${more}; remove nested: false to include them`,
  };
}
