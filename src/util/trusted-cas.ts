import tls from 'node:tls';

/** What a TLS client of adsync trusts, besides verification being always on. */
export interface TrustSettings {
  /**
   * Trust the operating system's certificate store (the Windows store, where Group Policy
   * installs an enterprise root CA; the macOS keychain; OpenSSL's file and directory on Linux).
   */
  systemStore: boolean;
  /** PEM text of a configured caFile, trusted in addition to the rest. */
  extra?: string | undefined;
}

/** The root lists already read, by whether they hold the system store: each is read once. */
const roots = new Map<boolean, readonly string[]>();

/**
 * Node's bundled Mozilla roots, the certificates of NODE_EXTRA_CA_CERTS (so a machine set up
 * for Node keeps working) and, when asked, the operating system's store. Reading the system
 * store takes tens of milliseconds, so it happens on the first TLS connection, never at start.
 */
function rootsOf(systemStore: boolean): readonly string[] {
  const known = roots.get(systemStore);
  if (known) return known;
  const list = [
    ...new Set([
      ...tls.getCACertificates('bundled'),
      ...tls.getCACertificates('extra'),
      ...(systemStore ? tls.getCACertificates('system') : []),
    ]),
  ];
  roots.set(systemStore, list);
  return list;
}

/**
 * The `ca` list of a TLS connection: Node's roots, the system store unless it is switched off,
 * and the configured CA file's certificates, which add to the others rather than replace them.
 * Given as `ca`, the list replaces Node's default store, so the switch is honoured even when
 * Node itself runs with --use-system-ca.
 * @param trust whether the system store counts, and the caFile's PEM text
 */
export function trustedCas(trust: TrustSettings): string[] {
  const list = [...rootsOf(trust.systemStore)];
  if (trust.extra) list.push(trust.extra);
  return list;
}
