/**
 * The data the Windows SSPI provider (gss-sspi.ts) speaks, apart from its foreign calls so it can
 * be tested on any system: what an SSPI status means, and the SEC_CHANNEL_BINDINGS structure
 * InitializeSecurityContextW takes channel-binding data in.
 */
import { GssFailure, type GssFailureKind } from './gss.js';

/**
 * The SECURITY_STATUS values (winerror.h) adsync may meet, with the kind a sysadmin can act on.
 * Kerberos reports through these few codes what MIT reports in text; anything else is 'other',
 * always shown with its name and hex code so it can be looked up.
 */
const STATUSES: Readonly<Record<number, readonly [string, GssFailureKind]>> = {
  0x80090300: ['SEC_E_INSUFFICIENT_MEMORY', 'other'],
  0x80090301: ['SEC_E_INVALID_HANDLE', 'other'],
  0x80090302: ['SEC_E_UNSUPPORTED_FUNCTION', 'other'],
  // The KDC does not know the SPN (a DNS alias, a load balancer): kerberos.spn.
  0x80090303: ['SEC_E_TARGET_UNKNOWN', 'unknown-service'],
  0x80090304: ['SEC_E_INTERNAL_ERROR', 'other'],
  // No Kerberos package on this system at all.
  0x80090305: ['SEC_E_SECPKG_NOT_FOUND', 'no-library'],
  0x80090308: ['SEC_E_INVALID_TOKEN', 'other'],
  0x8009030a: ['SEC_E_QOP_NOT_SUPPORTED', 'other'],
  // The KDC refused the account's own key (a password changed under a running session, a
  // disabled account): the account is what to look at.
  0x8009030c: ['SEC_E_LOGON_DENIED', 'account'],
  0x8009030d: ['SEC_E_UNKNOWN_CREDENTIALS', 'no-credentials'],
  // The account has no Kerberos credentials: a local account, a machine not in the domain.
  0x8009030e: ['SEC_E_NO_CREDENTIALS', 'no-credentials'],
  0x8009030f: ['SEC_E_MESSAGE_ALTERED', 'other'],
  0x80090310: ['SEC_E_OUT_OF_SEQUENCE', 'other'],
  // No domain controller answered for the realm.
  0x80090311: ['SEC_E_NO_AUTHENTICATING_AUTHORITY', 'kdc-unreachable'],
  0x80090317: ['SEC_E_CONTEXT_EXPIRED', 'expired'],
  0x80090318: ['SEC_E_INCOMPLETE_MESSAGE', 'other'],
  0x80090320: ['SEC_E_INCOMPLETE_CREDENTIALS', 'no-credentials'],
  0x80090321: ['SEC_E_BUFFER_TOO_SMALL', 'other'],
  // The server proved to be another principal than the SPN named.
  0x80090322: ['SEC_E_WRONG_PRINCIPAL', 'unknown-service'],
  0x80090324: ['SEC_E_TIME_SKEW', 'clock-skew'],
  0x80090328: ['SEC_E_CERT_EXPIRED', 'expired'],
  0x80090334: ['SEC_E_NO_TGT_REPLY', 'kdc-unreachable'],
  0x80090342: ['SEC_E_KDC_UNKNOWN_ETYPE', 'other'],
  0x80090346: ['SEC_E_BAD_BINDINGS', 'other'],
  0x80090348: ['SEC_E_NO_KERB_KEY', 'no-credentials'],
  0x80090350: ['SEC_E_DOWNGRADE_DETECTED', 'other'],
  0x8009035d: ['SEC_E_INVALID_PARAMETER', 'other'],
  0x80090363: ['SEC_E_MUTUAL_AUTH_FAILED', 'other'],
};

/**
 * The name and failure kind of an SSPI status.
 * @param status a SECURITY_STATUS, signed or unsigned
 */
export function classifySspi(status: number): { name: string; kind: GssFailureKind } {
  const entry = STATUSES[status >>> 0];
  return entry ? { name: entry[0], kind: entry[1] } : { name: 'SECURITY_STATUS', kind: 'other' };
}

/**
 * The failure for an SSPI status, its name and hex code in the message (what Microsoft's
 * documentation and event logs are searched by).
 * @param what what was being done ("acquiring Kerberos credentials")
 * @param status the SECURITY_STATUS returned
 */
export function sspiFailure(what: string, status: number): GssFailure {
  const { name, kind } = classifySspi(status);
  return new GssFailure(kind, `${what}: ${name} (0x${(status >>> 0).toString(16).padStart(8, '0')})`);
}

/** The size of SEC_CHANNEL_BINDINGS: eight 32-bit fields, the data following it. */
export const CHANNEL_BINDINGS_HEADER = 32;

/**
 * The SEC_CHANNEL_BINDINGS structure (sspi.h) carrying RFC 5929 application data, as a
 * SECBUFFER_CHANNEL_BINDINGS buffer holds it: no initiator or acceptor address (zero types,
 * lengths and offsets, as TLS channel bindings have), cbApplicationDataLength and
 * dwApplicationDataOffset (= the header size) little-endian, then the data itself.
 * @param applicationData the channel-binding data (`tls-server-end-point:` + hash)
 */
export function secChannelBindings(applicationData: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHANNEL_BINDINGS_HEADER + applicationData.length);
  const view = new DataView(out.buffer);
  view.setUint32(24, applicationData.length, true); // cbApplicationDataLength
  view.setUint32(28, CHANNEL_BINDINGS_HEADER, true); // dwApplicationDataOffset
  out.set(applicationData, CHANNEL_BINDINGS_HEADER);
  return out;
}
