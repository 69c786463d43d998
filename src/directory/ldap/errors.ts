import {
  ConfidentialityRequiredError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  ProtocolError,
  ResultCodeError,
  SizeLimitExceededError,
  StrongAuthRequiredError,
  TimeLimitExceededError,
  UnknownStatusCodeError,
} from 'ldapts';

import { DirectoryError, describeError } from '../../errors.js';
import { isNotTls, isTlsFailure } from '../../util/tls-error.js';
import type { TlsVersion } from '../types.js';
import type { SearchRequest } from './entries.js';
import { serverExcerpt } from '../../util/server-text.js';

/**
 * ldapts failures turned into adsync's directory errors, told apart by ldapts's own error
 * classes (one per LDAP result); what has no class (socket and TLS failures) by Node's codes.
 */

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

/** LDAP's `referral` result (10): ldapts has no class of its own for it. */
const REFERRAL = 10;

/** ldapts says "Connection timeout" or "<Request>: Operation timed out". */
const TIMED_OUT = /time(d ?)?out/i;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function tlsHint(caFile: string | undefined, trustSystemStore: boolean): string {
  const store = trustSystemStore
    ? ''
    : " (directory.trustSystemStore is false: the system's certificate store is not consulted)";
  return caFile
    ? `The server's certificate does not verify against ${caFile}${store}, or its name does not match the URL's host. Use the CA that issued the directory server's certificate and a host name listed in the certificate.`
    : `The server certificate is not trusted by this system${store}. Set directory.caFile to the PEM file of the CA that issued it (on AD: the enterprise root CA), and use a host name listed in the certificate.`;
}

/** The settings a connect or bind failure is explained with. */
export interface ConnectErrorContext {
  /** The URL tried. */
  url: string;
  /** What was being done: connect, StartTLS or bind. */
  phase: string;
  /** The identity bound as (undefined: anonymous). */
  bindDN: string | undefined;
  /** The configured CA file, for the TLS hint. */
  caFile: string | undefined;
  /** Whether the system's certificate store was trusted, for the TLS hint. */
  trustSystemStore: boolean;
  /** The lowest TLS version asked for, for the version hint. */
  tlsMinVersion: TlsVersion;
}

/**
 * A failure to connect, StartTLS or bind, as the directory error that says what to fix.
 * @param error what ldapts (or the socket) threw
 * @param context which URL, phase and settings
 */
export function connectError(error: unknown, context: ConnectErrorContext): DirectoryError {
  const { url, phase } = context;
  const code = errorCode(error);
  const answered = error instanceof ResultCodeError;
  // The server's diagnostic message is its own text: excerpted and cleaned before it is shown.
  const text = serverExcerpt(describeError(error), 500);
  if (isTlsFailure(error) || (phase === 'StartTLS' && !answered && !NETWORK_CODES.has(code ?? ''))) {
    return new DirectoryError('LDAP_TLS', `TLS with ${url} failed during ${phase}: ${text}`, {
      hint: isNotTls(error)
        ? 'The server did not answer in TLS: check that the port in directory.url is an LDAPS port (636), or use ldap:// with directory.startTLS: true.'
        : /version|protocol/i.test(`${code ?? ''} ${text}`)
          ? `The server does not offer ${context.tlsMinVersion} or newer. Enable TLS 1.2+ on the directory server.`
          : tlsHint(context.caFile, context.trustSystemStore),
      cause: error,
    });
  }
  if (!answered && (NETWORK_CODES.has(code ?? '') || TIMED_OUT.test(text) || /socket|closed/i.test(text))) {
    return new DirectoryError(
      'LDAP_CONNECT',
      `cannot reach ${url}: ${code ?? text.split('\n').pop() ?? text}`,
      {
        hint: 'Check directory.url (host and port: 389 for ldap://, 636 for ldaps://), DNS, and firewalls between this machine and the server.',
        cause: error,
      },
    );
  }
  if (error instanceof InvalidCredentialsError) {
    const who = context.bindDN ?? 'anonymous';
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
  if (error instanceof StrongAuthRequiredError || error instanceof ConfidentialityRequiredError) {
    return new DirectoryError(
      'LDAP_BIND',
      `${url} refused a simple bind over an unencrypted connection: ${text}`,
      {
        hint: 'Use ldaps:// (port 636) or set directory.startTLS: true.',
        cause: error,
      },
    );
  }
  if (error instanceof ProtocolError && phase === 'StartTLS') {
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
 * `location "x": search of <base> on <url>`, the start of every search failure.
 * @param url the server searched
 * @param request which location searched which base
 */
export const searchPlace = (url: string, request: Pick<SearchRequest, 'location' | 'base'>): string =>
  `location ${request.location ? `"${request.location}"` : '(all locations)'}: search of ${request.base} on ${url}`;

/**
 * Whether a failure says the searched DN does not exist.
 * @param error what ldapts threw
 */
export function isNoSuchObject(error: unknown): boolean {
  return error instanceof NoSuchObjectError;
}

/**
 * A failed search (or ranged read) as the directory error that says what to fix. Every one is
 * an error: a search cut short must never look like a complete one.
 * @param error what ldapts (or the socket) threw
 * @param url the server searched
 * @param request which location searched what
 */
export function searchError(error: unknown, url: string, request: SearchRequest): DirectoryError {
  // Already explained where it was found (a paging loop, an entry outside the base, a ranged read).
  if (error instanceof DirectoryError) return error;
  const where = searchPlace(url, request);
  // The server's diagnostic message is its own text: excerpted and cleaned before it is shown.
  const text = serverExcerpt(describeError(error), 500);
  if (error instanceof UnknownStatusCodeError && error.code === REFERRAL) {
    return referralError(error, where);
  }
  if (error instanceof NoSuchObjectError) {
    return new DirectoryError(
      'LDAP_NO_SUCH_OBJECT',
      `${where} failed: the base does not exist (noSuchObject, 32)`,
      {
        hint: 'The OU may have been renamed, moved or deleted. Check the DN in locations[].ous (or directory.baseDN).',
        cause: error,
      },
    );
  }
  if (error instanceof SizeLimitExceededError) {
    return new DirectoryError(
      'LDAP_SIZE_LIMIT',
      `${where} hit the server's size limit (sizeLimitExceeded, 4); the export would be incomplete`,
      {
        hint: 'The server refuses to return all entries to this account. Raise the size limit for the service account (OpenLDAP: limits … size.prtotal=unlimited; AD: MaxPageSize is fine with paging) or make sure paged results are allowed.',
        cause: error,
      },
    );
  }
  if (error instanceof TimeLimitExceededError) {
    return new DirectoryError('LDAP_TIMEOUT', `${where} hit the server's time limit (timeLimitExceeded, 3)`, {
      hint: 'Narrow the search (OU, filter) or raise the server time limit for this account.',
      cause: error,
    });
  }
  if (error instanceof InsufficientAccessError) {
    return new DirectoryError('LDAP_ACCESS', `${where} was refused: insufficient access rights (50)`, {
      hint: 'Grant the service account read access to this OU and the mapped attributes.',
      cause: error,
    });
  }
  if (error instanceof ResultCodeError) {
    return new DirectoryError('LDAP_SEARCH', `${where} failed: ${text}`, {
      hint: 'Check the filter, the OU and the server logs.',
      cause: error,
    });
  }
  // No LDAP result at all: the server never answered, or the connection went away.
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
}

function referralError(error: unknown, where: string): DirectoryError {
  // The server's diagnostic message is its own text: excerpted and cleaned before it is shown.
  const text = serverExcerpt(describeError(error), 500);
  // AD puts the referral target in its diagnostic message: "ref 1: 'other.corp.example.com'".
  const target = /ref \d+: '([^']+)'/i.exec(text)?.[1] ?? /ldaps?:\/\/[^\s'"]+/i.exec(text)?.[0];
  return new DirectoryError(
    'LDAP_SEARCH',
    `${where} returned a referral${target ? ` to ${target}` : ''}: the base is in another domain or partition`,
    {
      hint: `Point directory.url at a domain controller of that domain${target ? ` (${target})` : ''}, or at a Global Catalog (port 3268, or 3269 with TLS) to search the whole forest.`,
      cause: error,
    },
  );
}
