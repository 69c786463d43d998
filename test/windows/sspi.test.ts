import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { GssFailure, type GssSession } from '../../src/directory/ldap/sasl/gss.js';
import { sspiProvider } from '../../src/directory/ldap/sasl/gss-sspi.js';
import { ccacheWithServiceTicket, keytab } from './krb5-ccache.js';
import { kerberosAcceptor, type Acceptor } from './sspi-acceptor.js';

/**
 * The Windows SSPI provider's foreign calls on real Windows-ABI code: secur32.dll under Wine,
 * whose Kerberos package is MIT's libkrb5 of the Wine chroot underneath (so its answers are
 * Wine's mapping of MIT's, not Windows'). No KDC runs: without a ticket, acquiring credentials
 * fails as on a machine with no Kerberos logon; with a service ticket in the default ticket
 * cache (FILE:/tmp/krb5cc_0, the chroot's per-run tmpfs, Z:\tmp here), the first
 * InitializeSecurityContextW builds a real AP-REQ locally. Wine ignores the channel-bindings
 * buffer (it passes GSS_C_NO_CHANNEL_BINDINGS), so its layout is tested in test/unit.
 */

const underWine = process.platform === 'win32' && process.env.WINEPREFIX !== undefined;
const CCACHE = 'Z:\\tmp\\krb5cc_0';
/** The acceptor's keytab: KRB5_KTNAME in scripts/windows/test.sh. */
const KEYTAB = 'Z:\\tmp\\adsync-test-service.keytab';
const REALM = 'TEST.INVALID';
const BINDING = Buffer.concat([Buffer.from('tls-server-end-point:'), Buffer.alloc(32, 0xab)]);
/** The Kerberos V5 mechanism OID (DER) and the AP-REQ token id, RFC 1964 1.1. */
const KRB5_OID = Buffer.from('06092a864886f712010202', 'hex');
const AP_REQ = Buffer.from([0x01, 0x00]);

const sessions: GssSession[] = [];
const acceptors: Acceptor[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.close();
  for (const acceptor of acceptors.splice(0)) acceptor.close();
  await rm(CCACHE, { force: true });
  await rm(KEYTAB, { force: true });
});

/** The failure a promise or function ends in. */
async function failure(run: () => unknown): Promise<GssFailure> {
  try {
    await run();
  } catch (error) {
    if (error instanceof GssFailure) return error;
    throw error;
  }
  throw new Error('expected a GssFailure');
}

describe.skipIf(!underWine)('Windows SSPI through koffi (under Wine)', () => {
  it('classifies acquiring credentials with no ticket anywhere as no-credentials', async () => {
    expect(existsSync(CCACHE)).toBe(false);
    const error = await failure(() => sspiProvider.start({ spn: 'ldap/127.0.0.1', channelBinding: BINDING }));
    expect(error.kind).toBe('no-credentials');
    expect(error.message).toBe(
      'acquiring the Kerberos credentials of this account: SEC_E_NO_CREDENTIALS (0x8009030e)',
    );
  });

  it('steps to a GSS-framed Kerberos AP-REQ asking mutual authentication, then frees it all', async () => {
    await writeFile(CCACHE, ccacheWithServiceTicket(REALM, 'adsync', ['ldap', '127.0.0.1']));
    const session = await sspiProvider.start({ spn: `ldap/127.0.0.1@${REALM}`, channelBinding: BINDING });
    sessions.push(session);
    const step = await session.step(undefined);
    // SEC_I_CONTINUE_NEEDED: mutual authentication waits for the server's AP-REP.
    expect(step.complete).toBe(false);
    const token = Buffer.from(step.token);
    expect(token[0]).toBe(0x60); // [APPLICATION 0], RFC 2743 3.1
    const oid = token.indexOf(KRB5_OID);
    expect(oid).toBeGreaterThan(0);
    expect(token.subarray(oid + KRB5_OID.length, oid + KRB5_OID.length + 2)).toEqual(AP_REQ);
    const apReq = token.subarray(oid + KRB5_OID.length + 2);
    expect(apReq[0]).toBe(0x6e); // [APPLICATION 14] AP-REQ
    // ap-options [2] BIT STRING: mutual-required (bit 2) set.
    const options = apReq.indexOf(Buffer.from('a20703050020000000', 'hex'));
    expect(options).toBeGreaterThan(0);
    // The service's name as given travels in the ticket.
    expect(apReq.includes(Buffer.from('ldap'))).toBe(true);
    expect(apReq.includes(Buffer.from('127.0.0.1'))).toBe(true);

    // An unfinished context: DecryptMessage and EncryptMessage (after QueryContextAttributesW)
    // answer statuses, classified, rather than crash on a wrong declaration.
    const unwrapped = await failure(() => session.unwrap(new Uint8Array(60)));
    expect(unwrapped.message).toMatch(/^the server's security-layer message: SEC_E_\w+ \(0x8009\w{4}\)$/);
    const wrapped = await failure(() => session.wrap(new Uint8Array([1, 0, 0, 0])));
    expect(wrapped.message).toMatch(/^the security-layer choice: SEC_E_\w+ \(0x8009\w{4}\)$/);
    session.close();
    session.close(); // a second close is a no-op, never a double free
  });

  it('classifies a service there is no ticket for, with no KDC to ask', async () => {
    await writeFile(CCACHE, ccacheWithServiceTicket(REALM, 'adsync', ['ldap', '127.0.0.1']));
    const session = await sspiProvider.start({ spn: `ldap/elsewhere@${REALM}`, channelBinding: BINDING });
    sessions.push(session);
    const error = await failure(() => session.step(undefined));
    // Wine maps MIT's GSS_S_FAILURE ("cannot find KDC") to SEC_E_INTERNAL_ERROR; Windows itself
    // answers SEC_E_NO_AUTHENTICATING_AUTHORITY or SEC_E_TARGET_UNKNOWN (classified in test/unit).
    expect(error.kind).toBe('other');
    expect(error.message).toBe(
      `a Kerberos ticket for ldap/elsewhere@${REALM}: SEC_E_INTERNAL_ERROR (0x80090304)`,
    );
  });

  it('completes a mutual exchange with a Kerberos acceptor: the AP-REP in, the context established', async () => {
    const serviceKey = randomBytes(32);
    await writeFile(CCACHE, ccacheWithServiceTicket(REALM, 'adsync', ['ldap', '127.0.0.1'], serviceKey));
    await writeFile(KEYTAB, keytab(REALM, ['ldap', '127.0.0.1'], serviceKey));
    const session = await sspiProvider.start({ spn: `ldap/127.0.0.1@${REALM}`, channelBinding: BINDING });
    sessions.push(session);
    const acceptor = kerberosAcceptor();
    acceptors.push(acceptor);

    const first = await session.step(undefined);
    expect(first.complete).toBe(false);
    const reply = acceptor.step(first.token);
    expect(reply.status).toBe(0); // SEC_E_OK: the acceptor is done, its AP-REP proves it
    expect(reply.attributes & 0x2).toBe(0x2); // ASC_RET_MUTUAL_AUTH
    const second = await session.step(reply.token);
    // SEC_E_OK with ISC_RET_MUTUAL_AUTH and ISC_RET_INTEGRITY (the provider checks both).
    expect(second).toEqual({ token: new Uint8Array(0), complete: true });
  });

  it('classifies an AP-REP that is not one', async () => {
    await writeFile(CCACHE, ccacheWithServiceTicket(REALM, 'adsync', ['ldap', '127.0.0.1']));
    const session = await sspiProvider.start({ spn: `ldap/127.0.0.1@${REALM}`, channelBinding: BINDING });
    sessions.push(session);
    await session.step(undefined);
    const error = await failure(() => session.step(new Uint8Array([0x6f, 0x03, 0x02, 0x01, 0x05])));
    expect(error.message).toMatch(
      /^a Kerberos ticket for ldap\/127\.0\.0\.1@TEST\.INVALID: SEC_E_\w+ \(0x8009\w{4}\)$/,
    );
  });
});
