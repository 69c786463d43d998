/**
 * What the rest of adsync knows about a directory: the value lists the config schema is built
 * from, the resolved settings, and the source interface. Imports nothing, so config, mapping and
 * the pipeline can all depend on it without depending on ldapts or on each other.
 */

/** Directory flavours: pick the default user filter and attribute mapping. */
export const DIRECTORY_FLAVORS = ['ad', 'ldap'] as const;
/** A directory flavour. */
export type DirectoryKind = (typeof DIRECTORY_FLAVORS)[number];

/** `directory.kind`: a server of a flavour, or an LDIF export read instead of a server. */
export const SOURCE_KINDS = [...DIRECTORY_FLAVORS, 'ldif'] as const;
/** One `directory.kind`. */
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Search scopes: the whole subtree, or direct children only. */
export const SEARCH_SCOPES = ['sub', 'one'] as const;
/** A search scope. */
export type SearchScope = (typeof SEARCH_SCOPES)[number];

/** TLS versions a connection may be held to at least (directory and upload alike). */
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
/** A lowest accepted TLS version. */
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** The directory settings after validation, defaults and path resolution. */
export interface DirectorySettings {
  /** ad | ldap: for kind: ldif, the flavor (defaults of the directory it was exported from). */
  kind: DirectoryKind;
  /** Server URLs; for kind: ldif the file's `ldif:///…` URL, the one "server" check reports. */
  urls: string[];
  /** kind: ldif: the LDIF file read instead of a server (absolute); undefined for a server. */
  ldifFile: string | undefined;
  /** kind: ldif: the directory `attribute:< file://…` values may be read from (absolute); none: refused. */
  ldifValueFiles: string | undefined;
  bindDN: string | undefined;
  bindPassword: string | undefined;
  startTLS: boolean;
  caFile: string | undefined;
  tlsMinVersion: TlsVersion;
  baseDN: string | undefined;
  userFilter: string;
  filter: string | undefined;
  pageSize: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}

/** What opening a source found out. */
export interface ConnectionInfo {
  /** The URL that answered. */
  url: string;
  /** Negotiated TLS version, or undefined for a plain connection. */
  tlsVersion: string | undefined;
  /** The identity bound as, or 'anonymous'. */
  boundAs: string;
  /** URLs that were tried first and failed, with why. */
  failedOver: { url: string; error: string }[];
}

/** One search of one location. */
export interface SearchRequest {
  /** Search base. */
  base: string;
  /** Scope. */
  scope: SearchScope;
  /** Complete filter. */
  filter: string;
  /** Attributes to return. */
  attributes: readonly string[];
  /** Attributes to return as bytes. */
  bufferAttributes: readonly string[];
  /** For messages: which location asked. */
  location: string;
}

/**
 * A look-up of entries by filter that is not a location's search (`adsync explain` finding the
 * people asked about, whatever the location filters say).
 */
export interface FindRequest {
  /** Search base; with scope `base`, the one entry looked at. */
  base: string;
  /** `base`: the entry named by `base` only; `sub`: the base and its whole subtree. */
  scope: 'base' | 'sub';
  /** Complete filter. */
  filter: string;
  /** Attributes to return. */
  attributes: readonly string[];
  /** Attributes to return as bytes. */
  bufferAttributes: readonly string[];
  /** At most this many entries are returned (the rest are not read). */
  limit: number;
}

/** An entry a source yields: its DN and case-insensitive attribute access. */
export interface SourceEntry {
  /** Distinguished name. */
  readonly dn: string;
  /**
   * All values of an attribute (case-insensitive name); text, or bytes when the value is binary
   * or not valid UTF-8.
   */
  get(attribute: string): readonly (string | Uint8Array)[];
}

/**
 * Where people are read from. The export and `adsync check` only talk to this, so a live server
 * (ldapts) and a file (LDIF) go through the same mapping, validation, plan and guards.
 */
export interface DirectorySource {
  /** Connect (or open) and authenticate; says which server or file answered and how. */
  open(): Promise<ConnectionInfo>;
  /**
   * Throw a DirectoryError when a DN (a location's group) does not exist.
   * @param dn the DN
   * @param location the location naming it, for the message
   */
  assertExists(dn: string, location: string): Promise<void>;
  /**
   * Stream one search's entries; throw on anything that would make the result incomplete.
   * @param request base, scope, filter and attributes
   * @param onReference continuation references seen (ignored, not chased)
   */
  search(request: SearchRequest, onReference?: (uri: string) => void): AsyncIterable<SourceEntry>;
  /**
   * Entries matching a filter, at most `request.limit`; a base that does not exist has none.
   * @param request base, scope, filter, attributes and limit
   */
  find(request: FindRequest): Promise<SourceEntry[]>;
  /**
   * Whether one entry matches each of some filters, evaluated as the directory evaluates a
   * search's filter (AD's bitwise and in-chain rules included); an entry that does not exist
   * matches none.
   * @param dn the entry
   * @param filters the filters, each tested on its own
   * @returns one answer per filter, in order
   */
  matches(dn: string, filters: readonly string[]): Promise<boolean[]>;
  /**
   * Which attributes the directory's schema declares binary (read once, after open): a server's
   * subschema entry; a file has none. Never throws: an unreadable schema says why instead.
   */
  schemaSyntaxes(): Promise<SchemaSyntaxes>;
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
