import type { ResolvedConfig } from '../config/normalize.js';
import type { EntryLike } from '../mapping/columns.js';
import { directoryOptions, LdapDirectory, type ConnectionInfo, type SearchRequest } from './ldap/source.js';
import { LdifDirectory } from './ldif/source.js';

/** An entry a source yields: its DN and case-insensitive attribute access. */
export interface SourceEntry extends EntryLike {
  /** Distinguished name. */
  readonly dn: string;
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
  /** Release the connection or file. */
  close(): Promise<void>;
}

/**
 * The source a config's `directory:` section describes: an LDIF file (`kind: ldif`) or a server.
 * @param directory the resolved directory settings
 * @param urls for LDAP: only these URLs (e.g. one at a time for `adsync check`); an LDIF source
 *   has one "URL", its file
 */
export function createDirectorySource(
  directory: ResolvedConfig['directory'],
  urls: readonly string[] = directory.urls,
): DirectorySource {
  if (directory.ldifFile !== undefined) return new LdifDirectory({ file: directory.ldifFile });
  return new LdapDirectory(directoryOptions(directory, urls));
}
