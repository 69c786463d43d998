import { directoryIdAttributes } from '../identity.js';
import type {
  AttributeRequest,
  ConnectionInfo,
  DirectorySource,
  LocationConfig,
  LocationRead,
  PeopleQuery,
  SchemaSyntaxes,
  SearchCheck,
  SourceEntry,
} from '../types.js';
import type { EntryDirectory } from './entries.js';
import { describeLocation, planSearches, searchKey } from './locations.js';
import type { LdapModelSettings } from './model.js';
import { findPeople } from './people.js';
import { explainSearches } from './why.js';

/**
 * A source of the LDAP model over a place that holds entries (a server, or an LDIF export):
 * a location is its searches (one per OU, with the user filter, directory.filter and its
 * groups), a person is looked up by filter, and why a person is (not) in a location is asked of
 * the entries themselves.
 */
export class LdapModelSource implements DirectorySource {
  /**
   * @param entries where the entries are
   * @param settings the source's settings
   * @param fromFile the entries come from an export (either flavour's identity may be in it)
   */
  public constructor(
    private readonly entries: EntryDirectory,
    private readonly settings: LdapModelSettings,
    private readonly fromFile: boolean,
  ) {}

  /** See {@link DirectorySource.open}. */
  public open(): Promise<ConnectionInfo> {
    return this.entries.open();
  }

  /** See {@link DirectorySource.schemaSyntaxes}. */
  public schemaSyntaxes(): Promise<SchemaSyntaxes> {
    return this.entries.schemaSyntaxes();
  }

  /**
   * Every group named by a location must exist, each checked once.
   * @param locations the configured location entries
   */
  public async verifyLocations(locations: readonly LocationConfig[]): Promise<void> {
    const checked = new Set<string>();
    for (const location of locations) {
      for (const group of location.groups) {
        if (checked.has(group.toLowerCase())) continue;
        checked.add(group.toLowerCase());
        await this.entries.assertExists(group, location.slug);
      }
    }
  }

  /**
   * One read per search of each location, asking for each entry's identity too (so a changed
   * email is seen as a rename).
   * @param locations the configured location entries
   * @param request the attributes the layout maps
   */
  public reads(locations: readonly LocationConfig[], request: AttributeRequest): LocationRead[] {
    const id = directoryIdAttributes(this.settings.flavor, this.fromFile);
    const attributes = [...new Set([...request.attributes, ...id.attributes])];
    const bufferAttributes = [...new Set([...request.bufferAttributes, ...id.bufferAttributes])];
    return planSearches(this.settings, locations, { attributes, bufferAttributes }).map((search) => ({
      slug: search.slug,
      key: searchKey(search),
      base: search.base,
      filter: search.filter,
      entries: (onReference) => this.entries.search(search, onReference),
    }));
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
  public explain(
    person: SourceEntry,
    locations: readonly LocationConfig[],
  ): Promise<Map<string, SearchCheck[]>> {
    return explainSearches(this.entries, this.settings, locations, person);
  }

  /** See {@link DirectorySource.close}. */
  public close(): Promise<void> {
    return this.entries.close();
  }
}
