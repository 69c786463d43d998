import { directoryOptions, LdapDirectory } from './ldap/source.js';
import { LdifDirectory } from './ldif/source.js';
import type { DirectorySettings, DirectorySource } from './types.js';

/**
 * The source a config's `directory:` section describes: an LDIF file (`kind: ldif`) or a server.
 * @param directory the resolved directory settings
 * @param urls for LDAP: only these URLs (e.g. one at a time for `adsync check`); an LDIF source
 *   has one "URL", its file
 */
export function createDirectorySource(
  directory: DirectorySettings,
  urls: readonly string[] = directory.urls,
): DirectorySource {
  if (directory.ldifFile !== undefined)
    return new LdifDirectory({ file: directory.ldifFile, valueFiles: directory.ldifValueFiles });
  return new LdapDirectory(directoryOptions(directory, urls));
}
