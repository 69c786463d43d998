import type { TlsVersion } from '../types.js';
import { ldapAuth, type LdapAuth, type LdapServerSettings } from './settings.js';

/** Connection settings of the LDAP directory (source.ts) and of its search thread. */
export interface LdapDirectoryOptions {
  /** Server URLs, tried in order while a server cannot be reached. */
  urls: readonly string[];
  /** DN or UPN to bind as; undefined = anonymous. */
  bindDN?: string | undefined;
  /** Bind password. */
  bindPassword?: string | undefined;
  /** How to bind (absent: simple, with bindDN and bindPassword above). Plain data: it goes to the search thread. */
  auth?: LdapAuth | undefined;
  /** Upgrade ldap:// with StartTLS. */
  startTLS: boolean;
  /** PEM file with trusted CA certificates (added to Node's roots and the system store). */
  caFile?: string | undefined;
  /** Trust the operating system's certificate store (default yes). */
  trustSystemStore?: boolean | undefined;
  /** Lowest accepted TLS version. */
  tlsMinVersion: TlsVersion;
  /** Connect timeout in ms. */
  connectTimeoutMs: number;
  /** Per-operation timeout in ms. */
  timeoutMs: number;
  /** Page size of paged searches. */
  pageSize: number;
  /** Run paged searches in a worker thread (default: yes, where one can run; see search()). */
  searchThread?: boolean | undefined;
}

/**
 * The connection settings of a resolved config's directory.
 * @param directory the config's directory section
 * @param urls the URLs to use (default: all configured ones)
 */
export function directoryOptions(
  directory: LdapServerSettings,
  urls: readonly string[] = directory.urls,
): LdapDirectoryOptions {
  const { bindDN, bindPassword, startTLS, caFile, trustSystemStore, tlsMinVersion } = directory;
  const { connectTimeoutMs, timeoutMs, pageSize } = directory;
  return {
    urls,
    bindDN,
    bindPassword,
    auth: ldapAuth(directory),
    startTLS,
    caFile,
    trustSystemStore,
    tlsMinVersion,
    connectTimeoutMs,
    timeoutMs,
    pageSize,
  };
}
