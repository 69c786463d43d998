import { describe, expect, it } from 'vitest';

import { binarySyntax, parseAttributeTypes } from '../../src/directory/ldap/schema.js';

describe('attribute syntaxes from a subschema entry', () => {
  const types = parseAttributeTypes([
    // OpenLDAP's form: bare OIDs, a length bound, several names.
    "( 2.5.4.36 NAME 'userCertificate' DESC 'RFC2256: X.509 user certificate' EQUALITY certificateExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.8 )",
    "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )",
    "( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{32768} )",
    "( 1.2.3.4 NAME 'blobChild' SUP blobParent )",
    "( 1.2.3.5 NAME 'blobParent' SYNTAX 1.3.6.1.4.1.1466.115.121.1.40{128} )",
    // Active Directory's form: quoted syntax OIDs.
    "( 1.2.840.113556.1.4.1459 NAME 'mS-DS-ConsistencyGuid' SYNTAX '1.3.6.1.4.1.1466.115.121.1.40' SINGLE-VALUE )",
    "( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' SINGLE-VALUE )",
    "( 1.1 NAME 'loopA' SUP loopB )",
    "( 1.2 NAME 'loopB' SUP loopA )",
  ]);

  it('names binary syntaxes, directly, through SUP and with options; text and unknown are undefined', () => {
    expect(binarySyntax(types, 'userCertificate;binary')).toBe(
      'the schema gives it the Certificate syntax, 1.3.6.1.4.1.1466.115.121.1.8',
    );
    expect(binarySyntax(types, 'BLOBCHILD')).toBe(
      'the schema gives it the Octet String syntax, 1.3.6.1.4.1.1466.115.121.1.40',
    );
    expect(binarySyntax(types, 'ms-ds-consistencyguid')).toContain('Octet String');
    expect(binarySyntax(types, '1.2.840.113556.1.4.1459')).toContain('Octet String');
    for (const text of ['cn', 'commonName', 'sAMAccountName', 'notDeclared', 'loopA'])
      expect(binarySyntax(types, text)).toBeUndefined();
  });
});
