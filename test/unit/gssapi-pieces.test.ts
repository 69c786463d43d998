// The pure parts of the Kerberos bind: RFC 5929 channel bindings checked against OpenSSL's own
// certificate fingerprints, the server refusals a sysadmin meets, and MIT's texts classified.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { tlsServerEndPoint } from '../../src/directory/ldap/sasl/channel-binding.js';
import { classifyMit } from '../../src/directory/ldap/sasl/gss-mit.js';
import { saslBindError } from '../../src/directory/ldap/sasl/gssapi-errors.js';
import { tempDir } from '../harness/files.js';
import { systemTool } from '../harness/tools.js';

// Certificates are made with OpenSSL (the Windows suite has none: these tests skip there).
const hasOpenssl = systemTool('openssl', ['version'], 'Debian: apt-get install openssl');

const run = promisify(execFile);

/**
 * A self-signed certificate made by OpenSSL, signed with `digest`, and OpenSSL's fingerprint of
 * it with `fingerprintDigest`.
 */
async function certificate(
  key: string[],
  digest: string,
  fingerprintDigest = digest,
): Promise<{ der: Buffer; fingerprint: Buffer }> {
  const dir = await tempDir();
  const pem = join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    ...key,
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    pem,
    `-${digest}`,
    '-days',
    '2',
    '-subj',
    '/CN=dc1.corp.example.com',
  ]);
  const der = join(dir, 'cert.der');
  await run('openssl', ['x509', '-in', pem, '-outform', 'DER', '-out', der]);
  const { stdout } = await run('openssl', [
    'x509',
    '-in',
    pem,
    '-noout',
    '-fingerprint',
    `-${fingerprintDigest}`,
  ]);
  const hex = stdout.trim().split('=')[1]?.replaceAll(':', '') ?? '';
  return { der: await readFile(der), fingerprint: Buffer.from(hex, 'hex') };
}

const prefix = Buffer.from('tls-server-end-point:');

describe.runIf(hasOpenssl)('tls-server-end-point channel bindings (RFC 5929)', () => {
  it('hashes a SHA-256-signed certificate with SHA-256', async () => {
    const cert = await certificate(['-newkey', 'rsa:2048'], 'sha256');
    expect(tlsServerEndPoint(cert.der)).toEqual(Buffer.concat([prefix, cert.fingerprint]));
  });

  it("hashes a SHA-384-signed certificate with its signature's own hash", async () => {
    const cert = await certificate(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'sha384');
    expect(cert.fingerprint).toHaveLength(48);
    expect(tlsServerEndPoint(cert.der)).toEqual(Buffer.concat([prefix, cert.fingerprint]));
  });

  it('hashes a SHA-1-signed certificate with SHA-256, as the RFC says', async () => {
    const cert = await certificate(['-newkey', 'rsa:2048'], 'sha1', 'sha256');
    expect(tlsServerEndPoint(cert.der)).toEqual(Buffer.concat([prefix, cert.fingerprint]));
  });
});

describe("the server's refusal of a Kerberos bind", () => {
  const place = { url: 'ldaps://dc1.corp.example.com', spn: 'ldap/dc1.corp.example.com' };
  const refusal = (resultCode: number, diagnosticMessage: string) =>
    saslBindError(
      { resultCode, diagnosticMessage, serverSaslCreds: undefined, responseValue: undefined },
      place,
    );

  it('names channel binding when a DC refuses ours (AD: data 80090346)', () => {
    const error = refusal(
      49,
      '80090346: LdapErr: DSID-0C090596, comment: AcceptSecurityContext error, data 80090346, v4563',
    );
    expect(error.code).toBe('LDAP_BIND');
    expect(error.hint).toMatch(/channel binding/);
    expect(error.hint).toMatch(/proxy or load balancer/);
  });

  it('says a server that does not offer GSSAPI does not, with its own code', () => {
    const error = refusal(7, 'SASL(-4): no mechanism available: No worthy mechs found');
    expect(error.code).toBe('LDAP_AUTH_METHOD');
    expect(error.hint).toContain('supportedSASLMechanisms');
  });

  it('points a DC that wants a SASL layer inside TLS at allow_sasl_over_tls', () => {
    expect(refusal(8, 'Strong(er) authentication required').hint).toContain('allow_sasl_over_tls');
  });

  it('keeps the server text and the SPN for anything else', () => {
    const error = refusal(49, 'SASL(-13): authentication failure: GSSAPI Failure: gss_accept_sec_context');
    expect(error.message).toContain('gss_accept_sec_context');
    expect(error.hint).toContain(place.spn);
  });
});

describe("MIT Kerberos's texts, classified", () => {
  it.each([
    ['Clock skew too great', 'clock-skew'],
    ['Ticket expired', 'expired'],
    ['Server ldap/alias.example@ADSYNC.TEST not found in Kerberos database', 'unknown-service'],
    ['Client svc@ADSYNC.TEST not found in Kerberos database', 'unknown-client'],
    ["Cannot contact any KDC for realm 'ADSYNC.TEST'", 'kdc-unreachable'],
    ['Preauthentication failed', 'bad-key'],
    ['No Kerberos credentials available (default cache: MEMORY:)', 'no-credentials'],
    ["Key table file '/etc/adsync/missing.keytab' not found", 'no-credentials'],
    ['Message stream modified', 'other'],
  ])('%s → %s', (text, kind) => {
    expect(classifyMit(text)).toBe(kind);
  });
});
