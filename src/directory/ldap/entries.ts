import type { ConnectionInfo, SchemaSyntaxes, SearchScope, SourceEntry } from '../types.js';

/**
 * What the LDAP model asks of a place that holds entries: a server (ldapts, source.ts) or an
 * LDIF export of one (../ldif/). The locations' searches, `explain`'s look-ups and its filter
 * tests are built on it once (model-source.ts), so both answer the same way.
 */

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

/** Entries by DN, base, scope and filter, with a server's semantics. */
export interface EntryDirectory {
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
  /** Which attributes the schema declares binary (see DirectorySource). */
  schemaSyntaxes(): Promise<SchemaSyntaxes>;
  /** Release the connection or file. */
  close(): Promise<void>;
}
