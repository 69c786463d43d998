import { describe, expect, it } from 'vitest';

import { normalizeDn, parseDn } from '../../src/directory/dn.js';

describe('DN attribute types', () => {
  it('accepts the OID. prefix of RFC 1779 (RFC 2253 §4), as the bare OID', () => {
    expect(normalizeDn('OID.2.5.4.3=Ada,dc=x')).toBe('2.5.4.3=ada,dc=x');
    expect(normalizeDn('oid.2.5.4.3=Ada,DC=x')).toBe(normalizeDn('2.5.4.3=ada,dc=x'));
    // The scanner (escapes, multi-valued RDNs) takes it too.
    expect(normalizeDn('OID.2.5.4.3=Smith\\, John+sn=S,dc=x')).toBe(
      normalizeDn('sn=s+2.5.4.3=smith\\2C john,dc=x'),
    );
  });

  it('still refuses what is neither a name nor an OID', () => {
    expect(parseDn('OID.cn=x,dc=x')).toBeUndefined();
    expect(parseDn('OID.=x')).toBeUndefined();
    expect(parseDn('2.5.=x')).toBeUndefined();
    expect(parseDn('c n=x\\2C,dc=x')).toBeUndefined();
  });
});
