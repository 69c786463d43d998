/**
 * What the rest of adsync knows about a directory: the value lists the config schema is built
 * from, the settings every source has, a location's selection, and the source interface.
 * Imports nothing, so config, mapping and the pipeline can all depend on it without depending
 * on ldapts or on each other. What one kind of source needs (an LDAP server's URLs, an LDIF
 * file) is that source's own, in its folder (ldap/, ldif/), registered in source.ts.
 */

/** Directory flavours: pick the default user filter and attribute mapping. */
export const DIRECTORY_FLAVORS = ['ad', 'ldap'] as const;
/** A directory flavour: the attribute names its entries use (the default column mapping). */
export type DirectoryKind = (typeof DIRECTORY_FLAVORS)[number];

/** Search scopes: the whole subtree, or direct children only. */
export const SEARCH_SCOPES = ['sub', 'one'] as const;
/** A search scope. */
export type SearchScope = (typeof SEARCH_SCOPES)[number];

/** TLS versions a connection may be held to at least (directory and upload alike). */
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
/** A lowest accepted TLS version. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** What the resolved settings of every kind of source have; each source adds its own. */
export interface SourceSettings {
  /** `directory.kind` as written: which source reads the directory (see source.ts). */
  readonly kind: string;
  /** The attribute names its entries use, for the default column mapping. */
  readonly flavor: DirectoryKind;
  /** Whether a location's groups count nested membership unless it says (`nested:`). */
  readonly nestedGroups: boolean;
  /**
   * The secrets the settings hold (a bind password), so the CLI can hide them without loading
   * any source.
   */
  readonly secrets: readonly SourceSecret[];
  /** The files the settings make adsync read (a CA file, an LDIF export), never to be written. */
  readonly files: readonly SourceFile[];
}

/** A file (or directory, `inside`) a source's settings make adsync read. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** What it is, for messages. */
  what: string;
  /** A directory whose every file counts. */
  inside?: boolean;
  /** It holds a secret (a private key, a keytab): `adsync check` warns when every user may read it. */
  secret?: boolean;
}

/** A secret a source's settings hold. */
export interface SourceSecret {
  /** Its key path, e.g. `directory.bindPassword`. */
  key: string;
  /** What it is called in a warning (never its value). */
  label: string;
  /** The value, when set. */
  value: string | undefined;
}

/** One configured location entry (entries sharing a slug form one location). */
export interface LocationConfig {
  /** Position in `locations:`, for messages. */
  index: number;
  /** Slug written to the location column; '' = all locations. */
  slug: string;
  /** Search bases. */
  ous: string[];
  /** Group DNs: only their members belong here. */
  groups: string[];
  /** Search scope. */
  scope: SearchScope;
  /** Membership through nested groups (AD's in-chain rule; elsewhere the groups are walked). */
  nested: boolean;
}

/** A problem with the `directory:` section or a location's selection, by key path. */
export interface SourceIssue {
  /** Key path inside the config file, e.g. ['directory', 'url']. */
  path: (string | number)[];
  /** What is wrong and what to do. */
  message: string;
}

/** What opening a source found out. */
export interface ConnectionInfo {
  /** The server URL (or the file, as a URL) that answered. */
  url: string;
  /** Negotiated TLS version, or undefined for a plain connection or a file. */
  tlsVersion: string | undefined;
  /** The identity bound as, 'anonymous', or '(file)'. */
  boundAs: string;
  /** URLs that were tried first and failed, with why. */
  failedOver: { url: string; error: string }[];
  /** The progress line, in the source's words ("connected to … (TLSv1.3) as …"). */
  summary: string;
  /** What `adsync check` says of it ("reachable, TLSv1.3, bound as …"). */
  checked: string;
  /** A warning about how it was reached (a password sent without TLS), if any. */
  warning?: string;
}

/** An entry a source yields: its DN and case-insensitive attribute access. */
export interface SourceEntry {
  /** Distinguished name (the entry's unique name in its source). */
  readonly dn: string;
  /**
   * All values of an attribute (case-insensitive name); text, or bytes when the value is binary
   * or not valid UTF-8.
   */
  get(attribute: string): readonly (string | Uint8Array)[];
}

/** The attributes a read asks for: what the column layout maps. */
export interface AttributeRequest {
  /** Attributes to return. */
  attributes: readonly string[];
  /** Attributes to return as bytes. */
  bufferAttributes: readonly string[];
}

/**
 * One read of one location (a location is read by one or more of them, an LDAP location by one
 * search per OU). Its key is kept with each push, so runs can be compared read by read.
 */
export interface LocationRead {
  /** The location's slug. */
  slug: string;
  /** A stable key (starting with the slug) naming the read in the last good push. */
  key: string;
  /** Where it reads, for progress lines (a search base). */
  base: string;
  /** What selects the people there, for progress lines (a filter). */
  filter: string;
  /**
   * The entries; throws on anything that would make the result incomplete.
   * @param onReference told of references to other servers (ignored, not chased)
   */
  entries(onReference: (uri: string) => void): AsyncIterable<SourceEntry>;
}

/** Something a location's selection leaves out that it may not mean to (shown by check and push). */
export interface LocationWarning {
  /** The location's slug. */
  location: string;
  /** What is left out and what to do. */
  message: string;
}

/** How one read of a location treats one person (`adsync explain`). */
export interface SearchCheck {
  /** The read, as a heading ("search of ou=hq,… (groups)"). */
  label: string;
  /** Search base. */
  base: string;
  /** Scope. */
  scope: SearchScope;
  /** The location's groups (a person must be in one). */
  groups: string[];
  /** Whether every part of the read selects the person. */
  matched: boolean;
  /** Why it does or does not: each part that excludes the person, or what makes it match. */
  why: string[];
}

/** What `adsync explain` looks people up by. */
export interface PeopleQuery extends AttributeRequest {
  /** What was asked about: an email, a login, a DN or part of a name. */
  query: string;
  /** The attributes the layout's email column reads (a query may be an email). */
  emailAttributes: readonly string[];
  /** At most this many are returned. */
  limit: number;
}

/**
 * Where people are read from. The export, `adsync check` and `adsync explain` only ask this,
 * and only what every kind of source can answer: the people of a location, why one person is
 * (not) in one, and how the source was reached. A live server (ldapts) and a file (LDIF) go
 * through the same mapping, validation, plan and guards.
 */
export interface DirectorySource {
  /** Connect (or open) and authenticate; says which server or file answered and how. */
  open(): Promise<ConnectionInfo>;
  /**
   * Which attributes the directory's schema declares binary (read once, after open): a server's
   * subschema entry; a file has none. Never throws: an unreadable schema says why instead.
   */
  schemaSyntaxes(): Promise<SchemaSyntaxes>;
  /**
   * Throw when something the locations name does not exist (a group): a mistyped or renamed
   * one would match nobody and empty its location without an error. Says what the locations
   * leave out that they may not mean to (a group's member groups, not followed with
   * `nested: false`).
   * @param locations the configured location entries
   */
  verifyLocations(locations: readonly LocationConfig[]): Promise<LocationWarning[]>;
  /**
   * The reads of the locations, in config order (what they select may have to be read first:
   * the groups nested in a location's group).
   * @param locations the configured location entries
   * @param request the attributes the layout maps (the source adds the entry's identity)
   */
  reads(locations: readonly LocationConfig[], request: AttributeRequest): Promise<LocationRead[]>;
  /**
   * What a location's reads look at, for the warning when they return nobody ("ous …, groups …").
   * @param location one configured location entry
   */
  describe(location: LocationConfig): string[];
  /**
   * The people a query names, whatever the locations select (a disabled one too).
   * @param query what was asked, the attributes to read and how many at most
   * @param locations the configured location entries (where people are looked for)
   */
  findPeople(query: PeopleQuery, locations: readonly LocationConfig[]): Promise<SourceEntry[]>;
  /**
   * Why a person is (not) selected by each read of each location, as the reads decide it.
   * @param person the person's entry, as findPeople returned it
   * @param locations the configured location entries
   * @returns per location slug, its reads
   */
  explain(person: SourceEntry, locations: readonly LocationConfig[]): Promise<Map<string, SearchCheck[]>>;
  /** Release the connection or file. */
  close(): Promise<void>;
}

/** What the directory's schema says of attribute syntaxes. */
export type SchemaSyntaxes =
  | {
      read: true;
      /** Why an attribute is binary (its syntax), undefined for text or an attribute not declared. */
      binary: (attribute: string) => string | undefined;
    }
  | { read: false; why: string };
