import { createHash } from 'node:crypto';

import koffi from 'koffi';
import { describe, expect, it } from 'vitest';

import { GssFailure } from '../../src/directory/ldap/sasl/gss.js';
import { gssProvider } from '../../src/directory/ldap/sasl/gss-provider.js';
import { sspiProvider } from '../../src/directory/ldap/sasl/gss-sspi.js';
import {
  CHANNEL_BINDINGS_HEADER,
  classifySspi,
  secChannelBindings,
  sspiFailure,
} from '../../src/directory/ldap/sasl/sspi-data.js';

/** sspi.h's SEC_CHANNEL_BINDINGS, laid out by koffi as a C compiler would. */
const SEC_CHANNEL_BINDINGS = koffi.struct({
  dwInitiatorAddrType: 'uint32_t',
  cbInitiatorLength: 'uint32_t',
  dwInitiatorOffset: 'uint32_t',
  dwAcceptorAddrType: 'uint32_t',
  cbAcceptorLength: 'uint32_t',
  dwAcceptorOffset: 'uint32_t',
  cbApplicationDataLength: 'uint32_t',
  dwApplicationDataOffset: 'uint32_t',
});

describe('SEC_CHANNEL_BINDINGS for SSPI', () => {
  it('is the 32-byte header (no addresses) followed by the application data', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    const struct = secChannelBindings(data);
    expect(CHANNEL_BINDINGS_HEADER).toBe(koffi.sizeof(SEC_CHANNEL_BINDINGS));
    expect(struct.length).toBe(32 + 300);
    // Little-endian fields: 300 = 0x012c, so the two low bytes tell the byte order apart.
    expect([...struct.subarray(0, 32)]).toEqual([
      ...new Array<number>(24).fill(0),
      0x2c,
      0x01,
      0,
      0,
      32,
      0,
      0,
      0,
    ]);
    expect(Buffer.from(struct.subarray(32)).equals(Buffer.from(data))).toBe(true);
  });

  it('reads back field by field as the C structure, with tls-server-end-point data', () => {
    const hash = createHash('sha256').update('a server certificate').digest();
    const data = Buffer.concat([Buffer.from('tls-server-end-point:', 'ascii'), hash]);
    const struct = secChannelBindings(data);
    const fields = koffi.decode(struct, SEC_CHANNEL_BINDINGS) as Record<string, number>;
    expect(fields).toEqual({
      dwInitiatorAddrType: 0,
      cbInitiatorLength: 0,
      dwInitiatorOffset: 0,
      dwAcceptorAddrType: 0,
      cbAcceptorLength: 0,
      dwAcceptorOffset: 0,
      cbApplicationDataLength: data.length,
      dwApplicationDataOffset: 32,
    });
    const offset = fields.dwApplicationDataOffset ?? 0;
    expect(Buffer.from(struct.subarray(offset, offset + data.length)).toString('latin1')).toBe(
      data.toString('latin1'),
    );
  });

  it('carries empty application data as a bare header', () => {
    expect([...secChannelBindings(new Uint8Array(0))]).toEqual([
      ...new Array<number>(28).fill(0),
      32,
      0,
      0,
      0,
    ]);
  });
});

describe('SSPI status classification', () => {
  it.each([
    [0x8009030e, 'SEC_E_NO_CREDENTIALS', 'no-credentials'],
    [0x80090311, 'SEC_E_NO_AUTHENTICATING_AUTHORITY', 'kdc-unreachable'],
    [0x80090303, 'SEC_E_TARGET_UNKNOWN', 'unknown-service'],
    [0x80090322, 'SEC_E_WRONG_PRINCIPAL', 'unknown-service'],
    [0x80090324, 'SEC_E_TIME_SKEW', 'clock-skew'],
    [0x80090317, 'SEC_E_CONTEXT_EXPIRED', 'expired'],
    [0x80090328, 'SEC_E_CERT_EXPIRED', 'expired'],
    [0x8009030c, 'SEC_E_LOGON_DENIED', 'account'],
    [0x80090305, 'SEC_E_SECPKG_NOT_FOUND', 'no-library'],
    [0x80090346, 'SEC_E_BAD_BINDINGS', 'other'],
    [0x80090304, 'SEC_E_INTERNAL_ERROR', 'other'],
  ])('0x%s is %s (%s)', (status, name, kind) => {
    expect(classifySspi(status)).toEqual({ name, kind });
  });

  it('reads a signed SECURITY_STATUS (a LONG) as the same code', () => {
    expect(classifySspi(0x80090324 | 0)).toEqual({ name: 'SEC_E_TIME_SKEW', kind: 'clock-skew' });
  });

  it('names an unknown status generically, kind other, with its hex code in the message', () => {
    expect(classifySspi(0x80091234)).toEqual({ name: 'SECURITY_STATUS', kind: 'other' });
    const failure = sspiFailure('a Kerberos ticket for ldap/dc1', 0x80091234);
    expect(failure).toBeInstanceOf(GssFailure);
    expect(failure.kind).toBe('other');
    expect(failure.message).toBe('a Kerberos ticket for ldap/dc1: SECURITY_STATUS (0x80091234)');
  });

  it('puts the name and the code in the message', () => {
    const failure = sspiFailure('a Kerberos ticket for ldap/dc1', 0x80090324 | 0);
    expect(failure.kind).toBe('clock-skew');
    expect(failure.message).toBe('a Kerberos ticket for ldap/dc1: SEC_E_TIME_SKEW (0x80090324)');
  });
});

describe('Windows SSPI provider settings', () => {
  it.each([
    [{ keytab: 'C:\\adsync\\adsync.keytab' }, 'kerberos.keytab'],
    [{ principal: 'svc-adsync@CORP.EXAMPLE.COM' }, 'kerberos.principal'],
  ])('refuses %j (an MIT setting) before loading anything, on any system', async (extra, setting) => {
    const start = sspiProvider.start({ spn: 'ldap/dc1', channelBinding: new Uint8Array(0), ...extra });
    await expect(start).rejects.toBeInstanceOf(GssFailure);
    await expect(start).rejects.toMatchObject({
      kind: 'other',
      message: expect.stringContaining(`${setting} is for Linux and macOS`) as unknown,
    });
  });
});

describe('the GSS provider of this system', () => {
  it('is SSPI on Windows and MIT Kerberos elsewhere', async () => {
    const provider = await gssProvider();
    expect(provider.name).toBe(process.platform === 'win32' ? 'Windows SSPI' : 'MIT Kerberos');
  });
});
