// What each MIT Kerberos failure text means to a sysadmin. The texts are those libgssapi_krb5
// 1.20 gave through `adsync check` against a private MIT KDC (test/e2e/kerberos.test.ts), as
// the provider joins them: the major status's text, then the krb5 error's.
import { describe, expect, it } from 'vitest';

import { classifyMit } from '../../src/directory/ldap/sasl/gss-mit.js';

const ACQUIRE = 'No credentials were supplied, or the credentials were unavailable or inaccessible';
const INIT = 'Unspecified GSS failure.  Minor code may provide more information';

describe('classifyMit', () => {
  it.each([
    [`${ACQUIRE}: Matching credential not found`, 'no-credentials'],
    [`${ACQUIRE}: No credentials cache found`, 'no-credentials'],
    [`${INIT}: Server not found in Kerberos database`, 'unknown-service'],
    [`${ACQUIRE}: Client not found in Kerberos database`, 'unknown-client'],
    [`${ACQUIRE}: Cannot contact any KDC for requested realm`, 'kdc-unreachable'],
    [`${ACQUIRE}: Cannot find KDC for requested realm`, 'kdc-unreachable'],
    [`${ACQUIRE}: Decrypt integrity check failed`, 'bad-key'],
    [`${INIT}: Ticket expired`, 'expired'],
    [`${INIT}: Clock skew too great`, 'clock-skew'],
    [`${ACQUIRE}: Password has expired`, 'account'],
    [`${ACQUIRE}: Client's entry in database has expired`, 'account'],
    [`${ACQUIRE}: Client's credentials have been revoked`, 'account'],
  ])('%s: %s', (text, kind) => {
    expect(classifyMit(text)).toBe(kind);
  });
});
