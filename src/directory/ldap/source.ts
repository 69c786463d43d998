import { isIP } from 'node:net';
import tls from 'node:tls';

import { Client, ResultCodeError, type Entry } from 'ldapts';

import { DirectoryError, describeError } from '../../errors.js';
import { DirectoryEntry } from '../entry.js';
import type { ConnectionInfo, SchemaSyntaxes, SourceEntry } from '../types.js';
import type { EntryDirectory, FindRequest, SearchRequest } from './entries.js';
import type { LdapDirectoryOptions } from './options.js';
import { bindConnection, bindsAsSomeone, clientCertificate } from './bind.js';
import type { ClientCertificate } from './client-cert.js';
import { described } from './connection.js';
import { connectError, isNoSuchObject, searchError, searchPlace } from './errors.js';
import { inBaseCheck } from './in-base.js';
import { pagedSearch } from './paged-search.js';
import { completeRanges } from './ranged-values.js';
import { FILE_LIMITS, readSmallFile } from '../../io/small-file.js';
import { builtModule } from '../../runtime/assets.js';
import { binarySyntax, readAttributeTypes } from './schema.js';
import { gssapiIdentity, gssapiOpen, handOver } from './sasl/gssapi-open.js';
import { FirstBytes, notLdapError, notTlsError, schemeMismatch, watchedConnections } from './scheme-probe.js';
import { SearchThread, type SearchPage } from './search-thread.js';
import { serverExcerpt } from '../../util/server-text.js';
import { trustedCas } from '../../util/trusted-cas.js';
import { errorCodeOf, isNotTls } from '../../util/tls-error.js';

/** Nothing listens there (or nothing answers): not a scheme mix-up, so not worth a probe. */
const NOT_LISTENING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/**
 * A directory read through ldapts: connects (with failover across URLs), binds, and streams
 * paged search results entry by entry, so memory does not grow with the directory.
 */
export class LdapDirectory implements EntryDirectory {
  private client: Client | undefined;
  private info: ConnectionInfo | undefined;
  private readonly ca: Buffer | undefined;
  private readonly certificate: ClientCertificate | undefined;
  private thread: SearchThread | undefined;
  /** What the open connection's peer sent that was not LDAP, if anything. */
  private peer: FirstBytes | undefined;

  /**
   * @param options connection settings
   */
  public constructor(private readonly options: LdapDirectoryOptions) {
    if (options.caFile !== undefined) {
      try {
        this.ca = readSmallFile(options.caFile, FILE_LIMITS.ca);
      } catch (error) {
        throw new DirectoryError(
          'LDAP_TLS',
          `cannot read directory.caFile ${options.caFile}: ${describeError(error)}`,
          {
            hint: 'Point caFile at a readable PEM file with the CA certificate(s).',
          },
        );
      }
    }
    this.certificate = clientCertificate(options.auth);
  }

  private tlsOptions(host: string): tls.ConnectionOptions {
    return {
      minVersion: this.options.tlsMinVersion,
      rejectUnauthorized: true,
      host,
      // SNI takes host names only; for an IP address the certificate is still checked against it.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      // Read here, on the first TLS connection: the system store is not read at start-up.
      ca: trustedCas({
        systemStore: this.options.trustSystemStore ?? true,
        extra: this.ca?.toString('utf8'),
      }),
      ...(this.certificate ? { cert: this.certificate.cert, key: this.certificate.key } : {}),
    };
  }

  /**
   * Connect and bind, trying each URL in order while servers cannot be reached. A server that
   * answers but refuses the bind stops the run: trying the next one with the same bad password
   * would only lock the service account out sooner.
   * @returns which server answered and how
   */
  public async open(): Promise<ConnectionInfo> {
    const failedOver: { url: string; error: string }[] = [];
    let firstError: DirectoryError | undefined;
    for (const url of this.options.urls) {
      try {
        const info = await this.openOne(url);
        this.info = described({ ...info, failedOver });
        return this.info;
      } catch (error) {
        if (
          !(error instanceof DirectoryError) ||
          (error.code !== 'LDAP_CONNECT' && error.code !== 'LDAP_TLS')
        )
          throw error;
        failedOver.push({ url, error: error.message });
        firstError ??= error;
      }
    }
    if (this.options.urls.length === 1 && firstError) throw firstError;
    throw new DirectoryError(
      firstError?.code === 'LDAP_TLS' ? 'LDAP_TLS' : 'LDAP_CONNECT',
      `no directory server could be reached:\n${failedOver.map((f) => `  - ${f.error}`).join('\n')}`,
      { hint: firstError?.hint ?? 'Check directory.url.', cause: firstError },
    );
  }

  private async openOne(url: string): Promise<Pick<ConnectionInfo, 'url' | 'tlsVersion' | 'boundAs'>> {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const secure = parsed.protocol === 'ldaps:';
    let tlsSocket: tls.TLSSocket | undefined;
    // The peer's first bytes tell a web server or another service from an LDAP server at once.
    const firstBytes = new FirstBytes();
    this.peer = firstBytes;
    const { createConnection, createSecureConnection } = watchedConnections(firstBytes, (socket) => {
      tlsSocket = socket;
    });
    // auth: gssapi binds on a socket adsync opens and frames itself; ldapts gets it bound.
    const auth = this.options.auth;
    const gssapi =
      auth?.kind === 'gssapi'
        ? await gssapiOpen({
            ...this.options,
            url,
            host,
            secure,
            kerberos: auth,
            tls: this.tlsOptions(host),
            firstBytes,
          })
        : undefined;
    if (gssapi) tlsSocket = gssapi.socket;
    // TLS options go to the constructor only for ldaps://: given for ldap:// they would make
    // ldapts open direct TLS on the plain port instead of StartTLS.
    const client = new Client({
      url,
      connectTimeout: this.options.connectTimeoutMs,
      timeout: this.options.timeoutMs,
      ...(gssapi ? handOver(gssapi.socket, url) : { createConnection, createSecureConnection }),
      ...(secure ? { tlsOptions: this.tlsOptions(host) } : {}),
    });
    const fail = async (error: unknown, phase: string): Promise<DirectoryError> => {
      void client.unbind().catch(() => undefined);
      const { bindDN, caFile, trustSystemStore, tlsMinVersion } = this.options;
      if (firstBytes.notLdap) return notLdapError(url, firstBytes.notLdap, error);
      // OpenSSL read something that is not TLS ("wrong version number"): ask what it is.
      if (secure && phase !== 'StartTLS' && isNotTls(error)) return notTlsError(url, error);
      const failure = connectError(error, {
        ...{ url, phase, bindDN, caFile, tlsMinVersion },
        trustSystemStore: trustSystemStore ?? true,
      });
      // A dropped connection (not a refused one) may be the wrong scheme for the port.
      const dropped =
        failure.code === 'LDAP_CONNECT' &&
        !NOT_LISTENING.has(String(errorCodeOf(error) ?? '')) &&
        !/time(d ?)?out/i.test(describeError(error));
      return (dropped && phase !== 'StartTLS' ? await schemeMismatch(url, error) : undefined) ?? failure;
    };
    if (this.options.startTLS && !gssapi) {
      try {
        await client.startTLS(this.tlsOptions(host));
      } catch (error) {
        throw await fail(error, 'StartTLS');
      }
    }
    let boundAs: string;
    try {
      const tlsUp = (): boolean => tlsSocket?.authorized === true;
      boundAs = await bindConnection(client, this.options, {
        ...{ url, certificate: this.certificate, tlsUp },
        kerberosIdentity: gssapi && gssapiIdentity(gssapi),
      });
    } catch (error) {
      if (!(error instanceof DirectoryError))
        throw await fail(error, bindsAsSomeone(this.options) ? 'bind' : 'connect');
      void client.unbind().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return { url, tlsVersion: tlsSocket?.getProtocol() ?? undefined, boundAs };
  }

  /**
   * Check that a DN exists (for group DNs, whose typo would otherwise just match nobody).
   * @param dn the entry to look for
   * @param location the location that names it, for the message
   */
  public async assertExists(dn: string, location: string): Promise<void> {
    const client = this.requireClient();
    const url = this.info?.url ?? '';
    try {
      await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectClass'] });
    } catch (error) {
      if (isNoSuchObject(error)) {
        throw new DirectoryError(
          'LDAP_NO_SUCH_OBJECT',
          `location ${location ? `"${location}"` : '(all locations)'}: group ${dn} does not exist on ${url} (noSuchObject, 32)`,
          {
            hint: 'The group may have been renamed or moved. Check the DN in locations[].groups.',
            cause: error,
          },
        );
      }
      throw this.searchFailure(error, url, {
        base: dn,
        location,
        scope: 'sub',
        filter: '',
        attributes: [],
        bufferAttributes: [],
      });
    }
  }

  /**
   * The client, checked to still hold the session that open() made. ldapts reconnects by itself
   * when the socket has closed, but without the bind (and without StartTLS): a search on such a
   * connection would run anonymously and could quietly return less. Refuse instead.
   */
  private requireClient(): Client {
    const client = this.client;
    if (!client) throw new Error('LdapDirectory used before open()');
    // A Kerberos-bound socket was never bound through ldapts, which cannot reconnect it either.
    const rebindable = this.options.auth?.kind !== 'gssapi';
    if (!client.isConnected || (rebindable && bindsAsSomeone(this.options) && !client.isBound)) {
      throw new DirectoryError(
        'LDAP_SEARCH',
        `the connection to ${this.info?.url ?? 'the directory'} was lost between searches`,
        {
          hint: 'Nothing was written. Run again; if it repeats, check the network and the server (idle timeouts, restarts).',
        },
      );
    }
    return client;
  }

  /**
   * Stream the entries of one search, page by page. Any failure (missing base, size or time
   * limit, lost connection) throws: a shorter export must never look like a complete one. The
   * pages are read in the search thread when there is one ({@link SearchThread}).
   * @param request base, scope, filter and attributes
   * @param onReference called for each search continuation reference (ignored, not chased)
   */
  public async *search(
    request: SearchRequest,
    onReference?: (uri: string) => void,
  ): AsyncGenerator<DirectoryEntry> {
    const thread = this.searchThread();
    for await (const page of thread ? thread.search(request) : this.pages(request)) {
      for (const uri of page.references) onReference?.(uri);
      for (const entry of page.entries) yield new DirectoryEntry(entry);
    }
  }

  /** Whether a search thread runs now (started by a search, ended by close or a search left early). */
  public get threaded(): boolean {
    return this.thread?.running === true;
  }

  /**
   * The search thread, started with the first search; none when searches run in this thread:
   * asked so (the worker itself, tests), in a single executable (no module file for a worker),
   * or from the TypeScript sources (the worker runs from the built JavaScript).
   */
  private searchThread(): SearchThread | undefined {
    if (this.thread) return this.thread;
    const script =
      this.options.searchThread === false ? undefined : builtModule('directory/ldap/search-worker.js');
    if (script === undefined) return undefined;
    const settings: LdapDirectoryOptions = {
      ...this.options,
      urls: [this.info?.url ?? this.options.urls[0] ?? ''],
      searchThread: false,
    };
    this.thread = new SearchThread(script, settings);
    return this.thread;
  }

  /**
   * The pages of one search on this thread's connection, with ranged attributes completed.
   * Failures throw as {@link DirectoryError}s.
   * @param request base, scope, filter and attributes
   */
  public async *pages(request: SearchRequest): AsyncGenerator<SearchPage> {
    const client = this.requireClient();
    const url = this.info?.url ?? this.options.urls[0] ?? '';
    const where = searchPlace(url, request);
    const check = inBaseCheck(request.base, request.scope, where);
    try {
      for await (const page of pagedSearch(client, { ...request, pageSize: this.options.pageSize, where })) {
        const entries = page.searchEntries;
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as Entry;
          check(entry.dn);
          if (Object.keys(entry).some((k) => k.includes(';range=')))
            entries[i] = await completeRanges(client, entry, request.bufferAttributes, where, () =>
              this.requireClient(),
            );
        }
        yield { entries, references: page.searchReferences };
      }
    } catch (error) {
      throw this.searchFailure(error, url, request);
    }
  }

  /**
   * Entries matching a filter, page by page until `limit`; a base that does not exist has none.
   * @param request base, scope, filter, attributes and limit
   */
  public async find(request: FindRequest): Promise<SourceEntry[]> {
    const client = this.requireClient();
    const found: SourceEntry[] = [];
    const url = this.info?.url ?? '';
    const where = searchPlace(url, { base: request.base, location: '' });
    const check = inBaseCheck(request.base, request.scope, where);
    try {
      const pageSize = Math.min(this.options.pageSize, Math.max(request.limit, 1));
      for await (const page of pagedSearch(client, { ...request, pageSize, where })) {
        for (const entry of page.searchEntries) {
          if (found.length >= request.limit) return found;
          check(entry.dn);
          found.push(new DirectoryEntry(entry));
        }
        if (found.length >= request.limit) return found;
      }
      return found;
    } catch (error) {
      if (isNoSuchObject(error)) return found;
      throw this.searchFailure(error, url, { ...request, scope: 'sub', location: '' });
    }
  }

  /**
   * Whether one entry matches each filter: a base-scope search of the entry per filter, so the
   * server itself evaluates it (in-chain membership, bitwise flags).
   * @param dn the entry
   * @param filters the filters
   */
  public async matches(dn: string, filters: readonly string[]): Promise<boolean[]> {
    const client = this.requireClient();
    const answers: boolean[] = [];
    for (const filter of filters) {
      try {
        const { searchEntries } = await client.search(dn, { scope: 'base', filter, attributes: ['1.1'] });
        answers.push(searchEntries.length > 0);
      } catch (error) {
        if (!isNoSuchObject(error)) {
          const request = { base: dn, scope: 'sub' as const, filter, location: '' };
          throw this.searchFailure(error, this.info?.url ?? '', {
            ...request,
            attributes: [],
            bufferAttributes: [],
          });
        }
        answers.push(false);
      }
    }
    return answers;
  }

  /**
   * A failed search as the error that says what to fix: bytes that are not LDAP from the peer
   * (a proxy or another service mid-session) first, else what the search threw.
   * @param error what ldapts threw
   * @param url the server searched
   * @param request which location searched what
   */
  private searchFailure(error: unknown, url: string, request: SearchRequest): DirectoryError {
    const bytes = this.peer?.notLdap;
    if (bytes === undefined || error instanceof DirectoryError) return searchError(error, url, request);
    return notLdapError(url, bytes, error, searchPlace(url, request));
  }

  /** The server's attribute syntaxes from its subschema entry; see {@link DirectorySource}. */
  public async schemaSyntaxes(): Promise<SchemaSyntaxes> {
    try {
      const types = await readAttributeTypes(this.requireClient());
      if (types === undefined) return { read: false, why: 'the server names no subschemaSubentry' };
      return { read: true, binary: (attribute) => binarySyntax(types, attribute) };
    } catch (error) {
      // A refusal (no access to the schema, no such entry) is not an error: the fixed list of
      // binary attributes still applies. A lost or silent connection is one, as for any search.
      if (error instanceof ResultCodeError)
        return { read: false, why: serverExcerpt(describeError(error), 200) };
      const url = this.info?.url ?? '';
      throw this.searchFailure(error, url, {
        base: 'the subschema entry',
        location: '',
        scope: 'sub',
        filter: '(objectClass=*)',
        attributes: ['attributeTypes'],
        bufferAttributes: [],
      });
    }
  }

  /** Unbind and close the connection, and end the search thread (never throws). */
  public async close(): Promise<void> {
    await this.thread?.stop();
    this.thread = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.unbind().catch(() => undefined);
  }
}
