import { describe, expect, it } from 'vitest';

import { mapEntry, type EntryLike } from '../../src/mapping/columns.js';
import { compileLayout } from '../../src/vendors/registry.js';
import { applyFormat, formatGuid, formatPhone, formatSid } from '../../src/mapping/formats.js';
import { validateRow } from '../../src/validation/validate.js';
import { findLosses } from '../harness/oracles/duplicates.js';

function entry(dn: string, attrs: Record<string, string | Uint8Array | (string | Uint8Array)[]>): EntryLike {
  const map = new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v : [v]]));
  return { dn, get: (a) => map.get(a.toLowerCase()) ?? [] };
}

const ctx = { location: 'hq', defaultCountry: 'CA' as const };

describe('formats', () => {
  it('renders objectGUID bytes the way Windows shows them (mixed endian)', () => {
    // The GUID 5e19bd7f-0f7c-4dc4-8be9-1e77f5b99177 as stored by AD.
    const bytes = Buffer.from('7fbd195e7c0fc44d8be91e77f5b99177', 'hex');
    expect(formatGuid(bytes)).toBe('5e19bd7f-0f7c-4dc4-8be9-1e77f5b99177');
    expect(formatGuid(Buffer.alloc(3))).toBeUndefined();
  });

  it('renders objectSid bytes as S-1-5-21-…', () => {
    const sid = Buffer.from('010500000000000515000000a065cf7e784b9b5fe77c8770091c0100', 'hex');
    expect(formatSid(sid)).toBe('S-1-5-21-2127521184-1604012920-1887927527-72713');
  });

  it('reads national numbers with the default country and writes E.164', () => {
    expect(formatPhone('(416) 555-0101', 'CA')).toBe('+14165550101');
    expect(formatPhone('+44 20 7946 0958', 'CA')).toBe('+442079460958');
    expect(formatPhone('call me', 'CA')).toBeUndefined();
    expect(formatPhone('12', 'CA')).toBeUndefined();
  });

  it('applies text formats', () => {
    const c = { defaultCountry: undefined };
    expect(applyFormat('lower', 'A@B.COM', c)).toEqual({ ok: true, value: 'a@b.com' });
    expect(applyFormat('upper', 'abc', c)).toEqual({ ok: true, value: 'ABC' });
    expect(applyFormat('trim', '  x ', c)).toEqual({ ok: true, value: 'x' });
    expect(applyFormat('digits', 'PIN 12-34', c)).toEqual({ ok: true, value: '1234' });
    expect(applyFormat('guid', 'not-a-guid', c)).toEqual({ ok: false, problem: 'guid' });
  });
});

describe('column mapping', () => {
  const receptionistLdap = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;

  it('has the receptionist defaults for plain LDAP and requests only what it maps', () => {
    expect(receptionistLdap.attributes.sort()).toEqual(
      ['departmentNumber', 'entryUUID', 'givenName', 'mail', 'mobile', 'ou', 'sn', 'title'].sort(),
    );
    const ad = compileLayout({ profile: 'receptionist', kind: 'ad' }).set;
    expect(ad.bufferAttributes).toEqual(['objectGUID']);
    expect(ad.attributes).toContain('department');
  });

  it('maps a person: fallbacks, formats, location, first of multi-valued', () => {
    const row = mapEntry(
      receptionistLdap,
      entry('uid=a', {
        givenName: ' Ada ',
        sn: 'Lovelace',
        mail: ['Ada@Example.COM', 'other@example.com'],
        mobile: '(416) 555-0101',
        ou: 'Research',
        entryUUID: '5E19BD7F-0F7C-4DC4-8BE9-1E77F5B99177',
      }),
      ctx,
    );
    expect(row.cells).toEqual([
      'Ada',
      'Lovelace',
      'ada@example.com',
      '+14165550101',
      '',
      'Research',
      '',
      '',
      'hq',
      '5e19bd7f-0f7c-4dc4-8be9-1e77f5b99177',
      '',
    ]);
    expect(row.issues).toEqual([]);
  });

  it('supports templates, constants, joins and attribute name case-insensitivity', () => {
    const { set, issues } = compileLayout({
      profile: 'custom',
      kind: 'ldap',
      locationColumn: 'Site',
      columns: {
        Name: '{givenName} {SN}',
        Kind: { value: 'staff' },
        Phones: { from: 'telephoneNumber', multi: 'join', separator: ' / ' },
        Braces: '{{literal}} {cn}',
      },
    });
    expect(issues).toEqual([]);
    const row = mapEntry(
      set,
      entry('uid=a', { givenname: 'Ada', sn: 'L', telephoneNumber: ['1', '2'] }),
      ctx,
    );
    expect(set.headers).toEqual(['Name', 'Kind', 'Phones', 'Braces', 'Site']);
    expect(row.cells).toEqual(['Ada L', 'staff', '1 / 2', '', 'hq']);
  });

  it('keeps line breaks from attributes in templates, so validation rejects them', () => {
    const { set } = compileLayout({
      profile: 'receptionist',
      kind: 'ldap',
      columns: { 'Business Title': '{title}  ({ou})' },
    });
    const row = mapEntry(
      set,
      entry('uid=t', { givenName: 'A', sn: 'B', mail: 'a@b.org', title: 'x\ny', ou: 'R' }),
      ctx,
    );
    expect(row.cells[4]).toBe('x\ny (R)');
    expect(validateRow(set, row).reasons[0]).toContain('control character (U+000A)');
  });

  it('reports an empty template placeholder and a custom profile without columns', () => {
    expect(
      compileLayout({ profile: 'custom', kind: 'ldap', columns: { A: 'x {} y' } }).issues[0]?.message,
    ).toContain('empty {}');
    expect(compileLayout({ profile: 'custom', kind: 'ldap' }).issues[0]?.message).toContain(
      'needs its columns',
    );
  });

  it('flags bytes that are not UTF-8, with the attribute', () => {
    const row = mapEntry(
      receptionistLdap,
      entry('uid=b', { givenName: Buffer.from([0x41, 0xff]), sn: 'B', mail: 'b@x.org' }),
      ctx,
    );
    expect(row.issues).toEqual([{ column: 0, kind: 'invalid-utf8', attribute: 'givenName', raw: 'A\uFFFD' }]);
  });

  it('blanks an unparseable phone and records the problem', () => {
    const row = mapEntry(
      receptionistLdap,
      entry('uid=c', { givenName: 'C', sn: 'C', mobile: 'call me' }),
      ctx,
    );
    expect(row.cells[3]).toBe('');
    expect(row.issues).toEqual([{ column: 3, kind: 'phone', attribute: 'mobile', raw: 'call me' }]);
  });
});

describe('validation', () => {
  const set = compileLayout({
    profile: 'receptionist',
    kind: 'ldap',
    columns: { PIN: 'employeeNumber' },
  }).set;
  const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;
  const check = (attrs: Record<string, string>, layout = set): ReturnType<typeof validateRow> =>
    validateRow(layout, mapEntry(layout, entry('uid=x', attrs), ctx));

  it('accepts a complete row', () => {
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org' })).toEqual({ reasons: [], warnings: [] });
  });

  it('requires names, and email or SMS phone', () => {
    expect(check({ sn: 'B', mail: 'a@b.org' }).reasons).toEqual(['First Name is required but empty']);
    expect(check({ givenName: 'A', sn: 'B' }).reasons).toEqual([
      'no Email and no SMS Phone: the contact needs one of them',
    ]);
    expect(check({ givenName: 'A', sn: 'B', mobile: '+1 416 555 0101' }).reasons).toEqual([]);
  });

  it('blanks a bad phone with a warning when there is an email, rejects when nothing is left', () => {
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org', mobile: 'xyz' })).toEqual({
      reasons: [],
      warnings: ['SMS Phone "xyz" (from mobile) is not a phone number; left empty'],
    });
    expect(check({ givenName: 'A', sn: 'B', mobile: 'xyz' }).reasons).toEqual([
      'SMS Phone "xyz" (from mobile) is not a phone number and there is no Email: no way to reach the contact',
    ]);
  });

  it('checks email syntax and PIN length', () => {
    expect(check({ givenName: 'A', sn: 'B', mail: 'not an email' }).reasons).toEqual([
      'Email "not an email" is not a valid email address',
    ]);
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org', employeeNumber: '123' }).reasons).toEqual([
      'PIN "123" must be 4 to 6 digits',
    ]);
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org', employeeNumber: '123456' }).reasons).toEqual([]);
  });

  it('rejects control characters and invalid UTF-8, naming the column', () => {
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org', title: 'x\ny' }).reasons[0]).toContain(
      'Business Title contains a control character (U+000A)',
    );
    const row = mapEntry(
      set,
      entry('uid=x', { givenName: 'A', sn: 'B', mail: 'a@b.org', title: Buffer.from([0xc3, 0x28]) }),
      ctx,
    );
    expect(validateRow(set, row).reasons[0]).toContain('Business Title (from title) is not valid UTF-8 text');
  });

  it('leaves an optional formula-like cell empty with a warning, rejects a required one, not phone numbers', () => {
    const title = check({ givenName: 'A', sn: 'B', mail: 'a@b.org', title: '=1+1' });
    expect(title.reasons).toEqual([]);
    expect(title.warnings).toEqual([
      'Business Title "=1+1" starts with "=": a spreadsheet would run it as a formula; left empty (fix the value in the directory)',
    ]);
    expect(check({ givenName: '@A', sn: '-B', mail: 'a@b.org', mobile: '+14165550101' }).reasons).toEqual([
      'First Name "@A" starts with "@": a spreadsheet would run it as a formula; fix the value in the directory',
      'Last Name "-B" starts with "-": a spreadsheet would run it as a formula; fix the value in the directory',
    ]);
    expect(check({ givenName: 'A', sn: 'B', mail: 'a@b.org', mobile: '+14165550101' }).warnings).toEqual([]);
  });

  it('iLobby needs an email', () => {
    expect(check({ givenName: 'A', sn: 'B', mobile: '+14165550101' }, ilobby).reasons).toEqual([
      'EMAIL is required but empty (the vendor matches contacts by email)',
    ]);
  });

  it('finds shared Email (case-insensitive), SMS Phone and Identification within a location; output order decides nothing', () => {
    const rows = [
      { dn: 'a', cells: ['A', 'A', 'x@y.org', '+14165550101', '', '', '', '', 'hq', 'id1', ''] },
      { dn: 'b', cells: ['B', 'B', 'X@y.org', '', '', '', '', '', 'hq', 'id2', ''], held: ['Email'] },
      {
        dn: 'c',
        cells: ['C', 'C', 'c@y.org', '+14165550101', '', '', '', '', 'hq', 'id1', ''],
        held: ['SMS Phone'],
      },
      { dn: 'd', cells: ['D', 'D', 'd@y.org', '', '', '', '', '', 'hq', '', ''] },
    ];
    const losses = findLosses(set, rows);
    expect([...losses.keys()]).toEqual([0, 2]);
    // b held the email and c the phone in the last push: a loses both, though it sorts first.
    expect(losses.get(0)).toEqual([
      ['Email', 'x@y.org', 'b'],
      ['SMS Phone', '+14165550101', 'c'],
      ['Identification', 'id1', ''],
    ]);
    // Nobody held id1: both rows lose it.
    expect(losses.get(2)).toEqual([['Identification', 'id1', '']]);
  });

  it('when nobody held a value, every row holding it loses it', () => {
    const rows = [
      { dn: 'a', cells: ['A', 'A', 'a@y.org', '+14165550101', '', '', '', '', 'hq', '', ''] },
      { dn: 'b', cells: ['B', 'B', '', '+14165550101', '', '', '', '', 'hq', '', ''] },
    ];
    const losses = findLosses(set, rows);
    expect(losses.get(0)).toEqual([['SMS Phone', '+14165550101', '']]);
    expect(losses.get(1)).toEqual([['SMS Phone', '+14165550101', '']]);
  });

  it('keeps a value with the first holder of the last push when two held it', () => {
    const rows = [
      { dn: 'a', cells: ['A', 'A', 'a@y.org', '+14165550101', '', '', '', '', 'hq', '', ''] },
      {
        dn: 'b',
        cells: ['B', 'B', 'b@y.org', '+14165550101', '', '', '', '', 'hq', '', ''],
        held: ['SMS Phone'],
      },
      {
        dn: 'c',
        cells: ['C', 'C', 'c@y.org', '+14165550101', '', '', '', '', 'hq', '', ''],
        held: ['SMS Phone'],
      },
    ];
    const losses = findLosses(set, rows);
    expect([...losses.keys()]).toEqual([0, 2]);
    expect(losses.get(2)).toEqual([['SMS Phone', '+14165550101', 'b']]);
  });
});
