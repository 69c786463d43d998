import { describe, expect, it } from 'vitest';

import { cleartextBindWarning } from '../../src/cli/policy.js';
import { described } from '../../src/directory/ldap/connection.js';

describe('how a server connection is told', () => {
  const base = { failedOver: [] };

  it('says where, how and as whom, for progress and for check', () => {
    const c = described({ ...base, url: 'ldaps://dc1.corp', tlsVersion: 'TLSv1.3', boundAs: 'svc' });
    expect(c.summary).toBe('connected to ldaps://dc1.corp (TLSv1.3) as svc');
    expect(c.checked).toBe('reachable, TLSv1.3, bound as svc');
    expect(cleartextBindWarning(c)).toBeUndefined();
  });

  it('warns of a password bind without TLS to another host only', () => {
    const plain = described({ ...base, url: 'ldap://dc1.corp', tlsVersion: undefined, boundAs: 'svc' });
    expect(plain.summary).toBe('connected to ldap://dc1.corp (no TLS) as svc');
    expect(cleartextBindWarning(plain)).toBe(
      'the bind password went to ldap://dc1.corp without TLS: use ldaps:// or directory.startTLS: true',
    );
    const anonymous = { ...base, url: 'ldap://dc1.corp', tlsVersion: undefined, boundAs: 'anonymous' };
    expect(cleartextBindWarning(described(anonymous))).toBeUndefined();
    const local = { ...base, url: 'ldap://127.0.0.1:389', tlsVersion: undefined, boundAs: 'svc' };
    expect(cleartextBindWarning(described(local))).toBeUndefined();
  });
});
