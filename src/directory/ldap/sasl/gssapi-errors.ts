import { DirectoryError } from '../../../errors.js';
import type { GssFailure, GssFailureKind } from './gss.js';
import type { LdapResult } from './wire.js';

/** Where a Kerberos bind was going. */
interface BindPlace {
  url: string;
  spn: string;
}

const CREDENTIALS_HINT =
  'On Linux and macOS set directory.kerberos.keytab (or KRB5_CLIENT_KTNAME) to a keytab of the service account, or get a ticket with kinit into the cache KRB5CCNAME names; on Windows run adsync as a domain account, or as the group Managed Service Account of its scheduled task.';

/** What to do about each kind of failure. */
function kerberosHint(
  kind: GssFailureKind,
  place: BindPlace & { keytab: string | undefined; text: string },
): string {
  switch (kind) {
    case 'no-credentials':
      return place.keytab === undefined
        ? `adsync found no Kerberos ticket and no keytab. ${CREDENTIALS_HINT}`
        : `Check that ${place.keytab} exists, is readable by the account adsync runs as, and holds a key of the principal (klist -k ${place.keytab}).`;
    case 'expired':
      return 'The ticket in the cache has expired: renew it (kinit), or use a keytab (directory.kerberos.keytab), from which adsync gets a fresh ticket on every run.';
    case 'clock-skew':
      return "This machine's clock and the KDC's differ by more than Kerberos allows (5 minutes by default): synchronise the clock (chrony or systemd-timesyncd; w32tm /resync on Windows).";
    case 'unknown-service':
      return `The KDC knows no service principal ${place.spn}. If the URL names a DNS alias or a load balancer, set directory.kerberos.spn to the server's own (ldap/<its host name>); on Active Directory, setspn -Q ${place.spn} shows which account holds it.`;
    case 'unknown-client':
      return 'The KDC does not know the client principal: check directory.kerberos.principal (user@REALM, the realm in capitals) and the keytab it comes from.';
    case 'account':
      return "The KDC refuses the client account itself: its password or the account has expired, or it is disabled or locked out. Fix the account (Active Directory: Get-ADUser <name> -Properties PasswordExpired,AccountExpirationDate,Enabled,LockedOut; a service account's password should not expire, or use a group Managed Service Account; MIT: kadmin getprinc), and export a new keytab if its password changes.";
    case 'kdc-unreachable':
      return "No KDC of the realm answered: check the realm's kdc lines in krb5.conf (KRB5_CONFIG) or its DNS SRV records (_kerberos._tcp), and that TCP and UDP port 88 are open to it.";
    case 'bad-key':
      return "The KDC refused the client's key: the keytab is older than the account's last password change (kvno); export a new one.";
    case 'no-library':
      return process.platform === 'win32' || /single-file/.test(place.text)
        ? 'Run adsync from the npm package (Node 22.19+ with `npm install -g adsync-<version>.tgz`, or scripts/install.sh) for auth: gssapi, or bind with auth: simple or auth: external.'
        : 'auth: gssapi needs MIT Kerberos: on Debian and Ubuntu install libgssapi-krb5-2, on RHEL krb5-libs, on macOS brew install krb5. Or bind with auth: simple or auth: external.';
    case 'other':
      return "The text above is the Kerberos library's own; klist shows the tickets and keytab entries adsync can use.";
  }
}

/**
 * A Kerberos failure on this side (no ticket, clock skew, unknown SPN, unreachable KDC, …).
 * @param failure what the GSS-API implementation said
 * @param place the URL, SPN, provider and configured keytab
 */
export function kerberosError(
  failure: GssFailure,
  place: BindPlace & { provider: string; keytab: string | undefined },
): DirectoryError {
  return new DirectoryError(
    'LDAP_KERBEROS',
    `the Kerberos (GSSAPI) bind to ${place.url} failed before the server was asked: ${failure.message}`,
    {
      hint: kerberosHint(failure.kind, { ...place, text: failure.message }),
      cause: failure,
      details: { kind: failure.kind, spn: place.spn, provider: place.provider },
    },
  );
}

/** AD's "data 80090346" (SEC_E_BAD_BINDINGS): channel bindings missing or not its own. */
const BAD_BINDINGS = /80090346/i;

/**
 * The server's refusal of a SASL GSSAPI bind.
 * @param answer the bind response
 * @param place the URL and SPN
 */
export function saslBindError(answer: LdapResult, place: BindPlace): DirectoryError {
  const said = answer.diagnosticMessage ? `: ${answer.diagnosticMessage}` : '';
  const message = `the Kerberos (GSSAPI) bind to ${place.url} was refused (result ${answer.resultCode}${said})`;
  const details = { resultCode: answer.resultCode, spn: place.spn };
  if (BAD_BINDINGS.test(answer.diagnosticMessage)) {
    return new DirectoryError('LDAP_BIND', message, {
      hint: 'The domain controller requires channel binding and the binding adsync sent (from the certificate it saw) is not its own: a TLS-inspecting proxy or load balancer sits between them. Connect adsync to the domain controller directly.',
      details,
    });
  }
  if (answer.resultCode === 7) {
    return new DirectoryError('LDAP_AUTH_METHOD', message, {
      hint: 'The server does not offer SASL GSSAPI: check its supportedSASLMechanisms (root DSE); OpenLDAP needs the Cyrus SASL GSSAPI module (libsasl2-modules-gssapi-mit) and a keytab for its ldap/ principal.',
      details,
    });
  }
  if (answer.resultCode === 8) {
    return new DirectoryError('LDAP_BIND', message, {
      hint: 'The server wants a SASL security layer inside TLS. On Samba set `ldap server require strong auth = allow_sasl_over_tls` (or yes with LDAPS) in smb.conf.',
      details,
    });
  }
  return new DirectoryError('LDAP_BIND', message, {
    hint: `The server could not accept the ticket for ${place.spn}: check that its keytab holds that principal's current key and, on OpenLDAP, that an authz-regexp maps the Kerberos identity to an entry.`,
    details,
  });
}
