import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';

import { Client, type Entry } from 'ldapts';

import { DirectoryError, describeError } from '../../errors.js';
import { isTlsFailure } from '../../util/tls-error.js';
import type { EntryLike } from '../../mapping/columns.js';
import type { DirectorySource } from '../source.js';

/** Connection settings for {@link LdapDirectory}. */
export interface LdapDirectoryOptions {
  /** Server URLs, tried in order while a server cannot be reached. */
  urls: readonly string[];
  /** DN or UPN to bind as; undefined = anonymous. */
  bindDN?: string | undefined;
  /** Bind password. */
  bindPassword?: string | undefined;
  /** Upgrade ldap:// with StartTLS. */
  startTLS: boolean;
  /** PEM file with trusted CA certificates (added to the system roots' place). */
  caFile?: string | undefined;
  /** Lowest accepted TLS version. */
  tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Connect timeout in ms. */
  connectTimeoutMs: number;
  /** Per-operation timeout in ms. */
  timeoutMs: number;
  /** Page size of paged searches. */
  pageSize: number;
}

/**
 * The connection settings of a resolved config's directory.
 * @param directory the config's directory section
 * @param urls the URLs to use (default: all configured ones)
 */
export function directoryOptions(
  directory: Omit<LdapDirectoryOptions, 'urls'> & { urls: readonly string[] },
  urls: readonly string[] = directory.urls,
): LdapDirectoryOptions {
  const { bindDN, bindPassword, startTLS, caFile, tlsMinVersion, connectTimeoutMs, timeoutMs, pageSize } =
    directory;
  return {
    urls,
    bindDN,
    bindPassword,
    startTLS,
    caFile,
    tlsMinVersion,
    connectTimeoutMs,
    timeoutMs,
    pageSize,
  };
}

/** What {@link LdapDirectory.open} found out. */
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
  scope: 'sub' | 'one';
  /** Complete filter. */
  filter: string;
  /** Attributes to return. */
  attributes: readonly string[];
  /** Attributes to return as bytes. */
  bufferAttributes: readonly string[];
  /** For messages: which location asked. */
  location: string;
}

const NO_VALUES: readonly (string | Uint8Array)[] = Object.freeze([]);

/** Lower-cased attribute names, remembered (a run asks for the same few names again and again). */
const lowerNames = new Map<string, string>();
function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    // Ranged values (`member;range=0-1499`) are completed and stored under the plain name.
    lower = name.toLowerCase().replace(/;range=.*$/, '');
    if (lowerNames.size < 10_000) lowerNames.set(name, lower);
  }
  return lower;
}

/** An LDAP entry with case-insensitive attribute access. */
export class DirectoryEntry implements EntryLike {
  public readonly dn: string;

  /**
   * @param entry an entry as ldapts returns it (single value, array, or empty array)
   */
  public constructor(private readonly entry: Entry) {
    this.dn = entry.dn;
  }

  /**
   * @param attribute attribute name in any case
   */
  public get(attribute: string): readonly (string | Uint8Array)[] {
    const entry = this.entry;
    // Servers usually answer in the case the name was asked in: try that first.
    let value = attribute !== 'dn' && Object.hasOwn(entry, attribute) ? entry[attribute] : undefined;
    if (value === undefined) {
      const wanted = lowerName(attribute);
      for (const key in entry) {
        if (key !== 'dn' && Object.hasOwn(entry, key) && lowerName(key) === wanted) {
          value = entry[key];
          break;
        }
      }
    }
    if (value === undefined) return NO_VALUES;
    return Array.isArray(value) ? value : [value];
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/** Active Directory's reasons for a failed bind, from the "data NNN" part of its message. */
const AD_BIND_SUBCODES: Record<string, { code: string; what: string; hint: string } | undefined> =
  Object.fromEntries(
    (
      [
        [
          '525',
          'no such user',
          'Check directory.bindDN: AD does not know this account (use the DN or the UPN).',
        ],
        [
          '52e',
          'wrong password',
          'Check directory.bindPassword (and that its ${env:}/${file:} source holds the current password).',
        ],
        [
          '530',
          'logon not permitted at this time',
          "The account's logon hours forbid this time: allow the hours adsync runs.",
        ],
        [
          '531',
          'logon not permitted from this computer',
          'The account is restricted to certain workstations: allow this one.',
        ],
        [
          '532',
          'password expired',
          "Set a new password for the service account (and consider 'password never expires' for it).",
        ],
        ['533', 'account disabled', 'Enable the service account in Active Directory.'],
        [
          '701',
          'account expired',
          "The service account's expiry date has passed: extend it in Active Directory.",
        ],
        [
          '773',
          'password must be changed',
          'The account must change its password at next logon: set a new password and clear that flag.',
        ],
        [
          '775',
          'account locked out',
          'The account is locked (too many bad passwords): unlock it, and fix the password adsync uses so it does not lock again.',
        ],
      ] as const
    ).map(([code, what, hint]) => [code, { code, what, hint }]),
  );

/** ldapts says "Connection timeout" or "<Request>: Operation timed out". */
const TIMED_OUT = /time(d ?)?out/i;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function ldapCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function tlsHint(caFile: string | undefined): string {
  return caFile
    ? `The server's certificate does not verify against ${caFile}, or its name does not match the URL's host. Use the CA that issued the directory server's certificate and a host name listed in the certificate.`
    : 'The server certificate is not trusted by this system. Set directory.caFile to the PEM file of the CA that issued it (on AD: the enterprise root CA), and use a host name listed in the certificate.';
}

/**
 * A directory read through ldapts: connects (with failover across URLs), binds, and streams
 * paged search results entry by entry, so memory does not grow with the directory.
 */
export class LdapDirectory implements DirectorySource {
  private client: Client | undefined;
  private info: ConnectionInfo | undefined;
  private readonly ca: Buffer | undefined;

  /**
   * @param options connection settings
   */
  public constructor(private readonly options: LdapDirectoryOptions) {
    if (options.caFile !== undefined) {
      try {
        this.ca = readFileSync(options.caFile);
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
  }

  private tlsOptions(host: string): tls.ConnectionOptions {
    return {
      minVersion: this.options.tlsMinVersion,
      rejectUnauthorized: true,
      host,
      // SNI takes host names only; for an IP address the certificate is still checked against it.
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(this.ca ? { ca: [...tls.rootCertificates, this.ca.toString('utf8')] } : {}),
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
        this.info = { ...info, failedOver };
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

  private async openOne(url: string): Promise<Omit<ConnectionInfo, 'failedOver'>> {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    const secure = parsed.protocol === 'ldaps:';
    let tlsSocket: tls.TLSSocket | undefined;
    // Wrap tls.connect to see the negotiated protocol; ldapts uses it for ldaps:// and StartTLS.
    const createSecureConnection = ((...args: unknown[]) => {
      tlsSocket = (tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args);
      return tlsSocket;
    }) as typeof tls.connect;
    // TLS options go to the constructor only for ldaps://: given for ldap:// they would make
    // ldapts open direct TLS on the plain port instead of StartTLS.
    const client = new Client({
      url,
      connectTimeout: this.options.connectTimeoutMs,
      timeout: this.options.timeoutMs,
      createSecureConnection,
      ...(secure ? { tlsOptions: this.tlsOptions(host) } : {}),
    });
    const fail = (error: unknown, phase: string): DirectoryError => {
      void client.unbind().catch(() => undefined);
      return this.wrapConnectError(url, error, phase);
    };
    if (this.options.startTLS) {
      try {
        await client.startTLS(this.tlsOptions(host));
      } catch (error) {
        throw fail(error, 'StartTLS');
      }
    }
    const bindDN = this.options.bindDN;
    try {
      if (bindDN !== undefined) {
        await client.bind(bindDN, this.options.bindPassword ?? '');
      } else {
        // An anonymous session: read the root DSE so that an unreachable server fails here.
        await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] });
      }
    } catch (error) {
      throw fail(error, bindDN === undefined ? 'connect' : 'bind');
    }
    this.client = client;
    return { url, tlsVersion: tlsSocket?.getProtocol() ?? undefined, boundAs: bindDN ?? 'anonymous' };
  }

  private wrapConnectError(url: string, error: unknown, phase: string): DirectoryError {
    const code = errorCode(error);
    const result = ldapCode(error);
    const text = describeError(error);
    if (
      isTlsFailure(error) ||
      (phase === 'StartTLS' && result === undefined && !NETWORK_CODES.has(code ?? ''))
    ) {
      return new DirectoryError('LDAP_TLS', `TLS with ${url} failed during ${phase}: ${text}`, {
        hint: /version|protocol/i.test(`${code ?? ''} ${text}`)
          ? `The server does not offer ${this.options.tlsMinVersion} or newer. Enable TLS 1.2+ on the directory server.`
          : tlsHint(this.options.caFile),
        cause: error,
      });
    }
    if (
      result === undefined &&
      (NETWORK_CODES.has(code ?? '') || TIMED_OUT.test(text) || /socket|closed/i.test(text))
    ) {
      return new DirectoryError(
        'LDAP_CONNECT',
        `cannot reach ${url}: ${code ?? text.split('\n').pop() ?? text}`,
        {
          hint: 'Check directory.url (host and port: 389 for ldap://, 636 for ldaps://), DNS, and firewalls between this machine and the server.',
          cause: error,
        },
      );
    }
    if (result === 49) {
      const who = this.options.bindDN ?? 'anonymous';
      const sub = AD_BIND_SUBCODES[/\bdata ([0-9a-f]{3,4})\b/i.exec(text)?.[1]?.toLowerCase() ?? ''];
      return new DirectoryError(
        'LDAP_BIND',
        `bind failed for ${who} at ${url}: ${sub ? `${sub.what} (AD code ${sub.code})` : 'invalid credentials'}`,
        {
          hint:
            sub?.hint ??
            'Check directory.bindDN and directory.bindPassword (and that the account is not locked or expired).',
          cause: error,
        },
      );
    }
    if (result === 8 || result === 13) {
      return new DirectoryError(
        'LDAP_BIND',
        `${url} refused a simple bind over an unencrypted connection: ${text}`,
        {
          hint: 'Use ldaps:// (port 636) or set directory.startTLS: true.',
          cause: error,
        },
      );
    }
    if (result === 2 && phase === 'StartTLS') {
      return new DirectoryError('LDAP_TLS', `${url} does not support StartTLS: ${text}`, {
        hint: 'Use ldaps:// instead, or enable TLS on the server.',
        cause: error,
      });
    }
    return new DirectoryError('LDAP_BIND', `${phase} at ${url} failed: ${text}`, {
      hint: 'Check directory.bindDN, bindPassword and the server logs.',
      cause: error,
    });
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
      if (ldapCode(error) === 32) {
        throw new DirectoryError(
          'LDAP_NO_SUCH_OBJECT',
          `location ${location ? `"${location}"` : '(all locations)'}: group ${dn} does not exist on ${url} (noSuchObject, 32)`,
          {
            hint: 'The group may have been renamed or moved. Check the DN in locations[].groups.',
            cause: error,
          },
        );
      }
      throw this.wrapSearchError(
        url,
        { base: dn, location, scope: 'sub', filter: '', attributes: [], bufferAttributes: [] },
        error,
      );
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
    if (!client.isConnected || (this.options.bindDN !== undefined && !client.isBound)) {
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
   * AD returns at most MaxValRange (1500) values of an attribute at once, as `member;range=0-1499`;
   * fetch the rest so a large multi-valued attribute is never silently cut short.
   */
  private async completeRanges(
    client: Client,
    entry: Entry,
    bufferAttributes: readonly string[],
  ): Promise<Entry> {
    for (const key of Object.keys(entry)) {
      const m = /^(.+);range=(\d+)-(\d+|\*)$/i.exec(key);
      if (!m) continue;
      const name = m[1] ?? key;
      const values: (string | Buffer)[] = [];
      const add = (v: Entry[string] | undefined): void => {
        if (v === undefined) return;
        if (Array.isArray(v)) values.push(...v);
        else values.push(v);
      };
      add(entry[key]);
      let end = m[3] ?? '*';
      while (end !== '*') {
        this.requireClient();
        const next = `${name};range=${String(Number(end) + 1)}-*`;
        const { searchEntries } = await client.search(entry.dn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: [next],
          explicitBufferAttributes: bufferAttributes.includes(name) ? [next] : [],
        });
        const got = searchEntries[0];
        const rangeKey = got
          ? Object.keys(got).find((k) => k.toLowerCase().startsWith(`${name.toLowerCase()};range=`))
          : undefined;
        if (!got || rangeKey === undefined) {
          throw new DirectoryError(
            'LDAP_SEARCH',
            `reading ${name} of ${entry.dn}: the server stopped answering the ranged read after ${values.length} values`,
            {
              hint: 'The attribute would be incomplete. Run again; if it repeats, check the domain controller.',
            },
          );
        }
        add(got[rangeKey]);
        end = /-(\d+|\*)$/.exec(rangeKey)?.[1] ?? '*';
      }
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the ranged key becomes the plain one
      delete entry[key];
      entry[name] = values as Entry[string];
    }
    return entry;
  }

  /**
   * Stream the entries of one search, page by page. Any failure (missing base, size or time
   * limit, lost connection) throws: a shorter export must never look like a complete one.
   * @param request base, scope, filter and attributes
   * @param onReference called for each search continuation reference (ignored, not chased)
   */
  public async *search(
    request: SearchRequest,
    onReference?: (uri: string) => void,
  ): AsyncGenerator<DirectoryEntry> {
    const client = this.requireClient();
    const url = this.info?.url ?? this.options.urls[0] ?? '';
    const pages = client.searchPaginated(request.base, {
      scope: request.scope,
      filter: request.filter,
      attributes: [...request.attributes],
      explicitBufferAttributes: [...request.bufferAttributes],
      paged: { pageSize: this.options.pageSize },
    });
    const iterator = pages[Symbol.asyncIterator]();
    try {
      let next = iterator.next();
      for (;;) {
        const result = await next;
        if (result.done === true) break;
        // Ask for the next page at once (the cookie has just arrived): the server prepares it
        // while this page is mapped, instead of waiting for the last entry to be consumed.
        next = iterator.next();
        // Its failure is thrown when it is awaited, on the next turn of the loop.
        next.catch(() => undefined);
        const page = result.value;
        for (const uri of page.searchReferences) onReference?.(uri);
        for (const entry of page.searchEntries) {
          const ranged = Object.keys(entry).some((k) => k.includes(';range='));
          yield new DirectoryEntry(
            ranged ? await this.completeRanges(client, entry, request.bufferAttributes) : entry,
          );
        }
      }
    } catch (error) {
      throw this.wrapSearchError(url, request, error);
    }
  }

  private wrapSearchError(url: string, request: SearchRequest, error: unknown): DirectoryError {
    if (ldapCode(error) === 10) return this.referralError(url, request, error);
    const where = `location ${request.location ? `"${request.location}"` : '(all locations)'}: search of ${request.base} on ${url}`;
    const text = describeError(error);
    switch (ldapCode(error)) {
      case 32:
        return new DirectoryError(
          'LDAP_NO_SUCH_OBJECT',
          `${where} failed: the base does not exist (noSuchObject, 32)`,
          {
            hint: 'The OU may have been renamed, moved or deleted. Check the DN in locations[].ous (or directory.baseDN).',
            cause: error,
          },
        );
      case 4:
        return new DirectoryError(
          'LDAP_SIZE_LIMIT',
          `${where} hit the server's size limit (sizeLimitExceeded, 4); the export would be incomplete`,
          {
            hint: 'The server refuses to return all entries to this account. Raise the size limit for the service account (OpenLDAP: limits … size.prtotal=unlimited; AD: MaxPageSize is fine with paging) or make sure paged results are allowed.',
            cause: error,
          },
        );
      case 3:
        return new DirectoryError(
          'LDAP_TIMEOUT',
          `${where} hit the server's time limit (timeLimitExceeded, 3)`,
          {
            hint: 'Narrow the search (OU, filter) or raise the server time limit for this account.',
            cause: error,
          },
        );
      case 50:
        return new DirectoryError('LDAP_ACCESS', `${where} was refused: insufficient access rights (50)`, {
          hint: 'Grant the service account read access to this OU and the mapped attributes.',
          cause: error,
        });
      case undefined:
        if (TIMED_OUT.test(text)) {
          return new DirectoryError('LDAP_TIMEOUT', `${where} timed out: ${text}`, {
            hint: 'The server did not answer within directory.timeoutSeconds. Check its load, or raise the timeout.',
            cause: error,
          });
        }
        return new DirectoryError(
          'LDAP_SEARCH',
          `${where} failed: connection lost (${text.split('\n').pop() ?? text})`,
          {
            hint: 'The connection to the directory dropped during the search. Nothing was written; run again, and check the network and server logs if it repeats.',
            cause: error,
          },
        );
      default:
        return new DirectoryError('LDAP_SEARCH', `${where} failed: ${text}`, {
          hint: 'Check the filter, the OU and the server logs.',
          cause: error,
        });
    }
  }

  private referralError(url: string, request: SearchRequest, error: unknown): DirectoryError {
    const text = describeError(error);
    // AD puts the referral target in its diagnostic message: "ref 1: 'other.corp.example.com'".
    const target = /ref \d+: '([^']+)'/i.exec(text)?.[1] ?? /ldaps?:\/\/[^\s'"]+/i.exec(text)?.[0];
    const where = `location ${request.location ? `"${request.location}"` : '(all locations)'}: search of ${request.base} on ${url}`;
    return new DirectoryError(
      'LDAP_SEARCH',
      `${where} returned a referral${target ? ` to ${target}` : ''}: the base is in another domain or partition`,
      {
        hint: `Point directory.url at a domain controller of that domain${target ? ` (${target})` : ''}, or at a Global Catalog (port 3268, or 3269 with TLS) to search the whole forest.`,
        cause: error,
      },
    );
  }

  /** Unbind and close the connection (never throws). */
  public async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.unbind().catch(() => undefined);
  }
}
