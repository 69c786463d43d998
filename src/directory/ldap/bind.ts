import {
  AuthMethodNotSupportedError,
  InappropriateAuthError,
  InvalidCredentialsError,
  NoSuchObjectError,
  ResultCodeError,
  type Client,
} from 'ldapts';

import { DirectoryError, describeError } from '../../errors.js';
import { serverExcerpt } from '../../util/server-text.js';
import { ClientCertificateProblem, readClientCertificate, type ClientCertificate } from './client-cert.js';
import type { LdapAuth } from './settings.js';

/** The "Who am I?" extended operation (RFC 4532). */
const WHOAMI = '1.3.6.1.4.1.4203.1.11.3';

/** What a bind needs besides the client: the credentials of the options. */
export interface BindSettings {
  /** How to bind (absent: simple). */
  auth?: LdapAuth | undefined;
  /** DN or UPN of a simple bind; undefined = anonymous. */
  bindDN?: string | undefined;
  /** Password of a simple bind. */
  bindPassword?: string | undefined;
}

/** The connection a bind runs on. */
export interface BindContext {
  /** The server's URL, for messages. */
  url: string;
  /** The client certificate (auth: external), read when the directory was made. */
  certificate: ClientCertificate | undefined;
  /** Whether the TLS handshake with the server completed (and its certificate verified). */
  tlsUp: () => boolean;
  /** auth: gssapi: who the Kerberos bind made the connection (see sasl/gssapi-open.ts). */
  kerberosIdentity?: string | undefined;
}

/**
 * The client certificate of `auth: external`, read and checked; none for the other modes. The
 * config's rules checked it already: failing here means the files changed since.
 * @param auth how to bind
 */
export function clientCertificate(auth: LdapAuth | undefined): ClientCertificate | undefined {
  if (auth?.kind !== 'external') return undefined;
  try {
    return readClientCertificate(auth.certFile, auth.keyFile);
  } catch (error) {
    if (!(error instanceof ClientCertificateProblem)) throw error;
    throw new DirectoryError('LDAP_BIND', `directory.${error.key}: ${error.message}`, {
      hint: 'Point certFile and keyFile at the PEM client certificate and its unencrypted private key.',
    });
  }
}

/**
 * Whether a bind is made as someone (not anonymous): ldapts's reconnect would lose it.
 * @param settings the credentials
 */
export const bindsAsSomeone = (settings: BindSettings): boolean =>
  (settings.auth?.kind ?? 'simple') !== 'simple' || settings.bindDN !== undefined;

/**
 * Bind the connection as the settings say. Failures this function explains throw as
 * {@link DirectoryError}s; others (the server unreachable, a wrong password) as ldapts threw
 * them, for the caller to explain with the URL and phase.
 * @param client the connected (or lazily connecting) client, after StartTLS if any
 * @param settings how to bind
 * @param context the URL, the client certificate, whether TLS is up
 * @returns who the connection is bound as, for `adsync check` and the progress line
 */
export async function bindConnection(
  client: Client,
  settings: BindSettings,
  context: BindContext,
): Promise<string> {
  const auth = settings.auth ?? { kind: 'simple' };
  if (auth.kind === 'external') return bindExternal(client, context);
  if (auth.kind === 'gssapi') {
    // Bound already, on the socket sasl/gssapi-bind.ts opened and handed over; ldapts connects
    // on its first operation, so a root DSE read hands it that socket and proves it works.
    if (context.kerberosIdentity === undefined)
      throw new Error('auth: gssapi without its Kerberos-bound socket');
    await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] });
    return context.kerberosIdentity;
  }
  const { bindDN } = settings;
  if (bindDN !== undefined) {
    await client.bind(bindDN, settings.bindPassword ?? '');
    return bindDN;
  }
  // An anonymous session: read the root DSE so that an unreachable server fails here.
  await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts'] });
  return 'anonymous';
}

async function bindExternal(client: Client, context: BindContext): Promise<string> {
  const certificate = context.certificate;
  if (certificate === undefined) throw new Error('auth: external without its certificate read');
  try {
    await client.bind('EXTERNAL');
  } catch (error) {
    throw externalBindError(error, context, certificate) ?? error;
  }
  const identity = await externalIdentity(client, context, certificate);
  return `${identity} (SASL EXTERNAL, client certificate ${certificate.subject})`;
}

/** What the server's refusal of an EXTERNAL bind means; undefined for what is not about it. */
function externalBindError(
  error: unknown,
  context: BindContext,
  certificate: ClientCertificate,
): DirectoryError | undefined {
  const { url } = context;
  const text = serverExcerpt(describeError(error), 300);
  if (error instanceof AuthMethodNotSupportedError)
    return new DirectoryError(
      'LDAP_AUTH_METHOD',
      `${url} does not offer SASL EXTERNAL on this connection (authMethodNotSupported, 7): it did not take a client certificate`,
      {
        hint: 'The server must ask for client certificates and trust their CA: OpenLDAP olcTLSVerifyClient: demand with the client CA in olcTLSCACertificateFile; on Active Directory, a certificate mapped to the service account. Or use auth: simple or gssapi.',
        cause: error,
      },
    );
  if (error instanceof InvalidCredentialsError || error instanceof InappropriateAuthError)
    return new DirectoryError(
      'LDAP_BIND',
      `${url} refused the SASL EXTERNAL bind with the client certificate ${certificate.subject}: ${text}`,
      {
        hint: 'The server maps no account to this certificate: OpenLDAP olcAuthzRegexp from the certificate subject to the service entry; Active Directory altSecurityIdentities of the service account (or a UPN in the certificate).',
        cause: error,
      },
    );
  // After a completed handshake a server that refuses the certificate just hangs up: OpenLDAP
  // checks it after TLS 1.3's handshake, so the refusal shows at the first request, the bind.
  if (!(error instanceof ResultCodeError) && context.tlsUp() && !/time(d ?)?out/i.test(text))
    return new DirectoryError(
      'LDAP_BIND',
      `${url} closed the connection at the SASL EXTERNAL bind: it refused the client certificate ${certificate.subject} (issued by ${certificate.issuer}, valid until ${certificate.validTo})`,
      {
        hint: 'The server must trust the CA that issued the certificate (OpenLDAP: olcTLSCACertificateFile; Active Directory: the NTAuth store), and the certificate must be valid now and made for client authentication.',
        cause: error,
      },
    );
  return undefined;
}

/** A DN compared loosely: case and spaces around separators do not count. */
const looseDn = (dn: string): string => dn.toLowerCase().replace(/\s*([,=+])\s*/g, '$1');

/**
 * Whom the server bound the certificate to (whoami), refused when that is nobody or a DN that is
 * no entry: a certificate the server did not map binds as its own subject, which reads nothing.
 */
async function externalIdentity(
  client: Client,
  context: BindContext,
  certificate: ClientCertificate,
): Promise<string> {
  let authzId: string;
  try {
    authzId = (await client.exop(WHOAMI)).value ?? '';
  } catch (error) {
    if (error instanceof ResultCodeError) return 'an identity the server does not name (no whoami)';
    throw error;
  }
  const { url } = context;
  if (authzId === '')
    throw new DirectoryError('LDAP_IDENTITY', `${url} took the client certificate but bound anonymously`, {
      hint: 'Map the certificate to the service entry (OpenLDAP: olcAuthzRegexp; Active Directory: altSecurityIdentities).',
    });
  if (!authzId.startsWith('dn:')) return serverExcerpt(authzId, 200);
  const dn = authzId.slice(3);
  if (await entryExists(client, dn)) return dn;
  const unmapped = looseDn(dn) === looseDn(certificate.subject);
  throw new DirectoryError(
    'LDAP_IDENTITY',
    unmapped
      ? `${url} did not map the client certificate to an entry: it bound as the certificate's own subject ${serverExcerpt(dn, 200)}, which is no entry of the directory`
      : `${url} mapped the client certificate ${certificate.subject} to ${serverExcerpt(dn, 200)}, which is no entry of the directory (or not one it may read)`,
    {
      hint: unmapped
        ? `Map the certificate subject to adsync's service entry: OpenLDAP olcAuthzRegexp: "^${looseDn(certificate.subject)}$" "<DN of the service entry>"; Active Directory: altSecurityIdentities of the service account.`
        : 'Fix the mapping (OpenLDAP: olcAuthzRegexp; Active Directory: altSecurityIdentities) so that it names an existing service entry.',
    },
  );
}

async function entryExists(client: Client, dn: string): Promise<boolean> {
  try {
    const found = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
    return found.searchEntries.length > 0;
  } catch (error) {
    if (error instanceof NoSuchObjectError) return false;
    throw error;
  }
}
