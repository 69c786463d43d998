import { describe, expect, it } from 'vitest';

import { importRows, invalidUtf8Offset, type MockContact } from '../../src/mock-server/import.js';
import { multipartFile } from '../../src/mock-server/multipart.js';

const row = (fields: Record<string, string>): Record<string, string> => ({
  'First Name': 'A',
  'Last Name': 'B',
  Email: '',
  'SMS Phone': '',
  'Location Slug': 'hq',
  Identification: '',
  ...fields,
});

describe('mock vendor import rules', () => {
  it('Receptionist: matches by Identification, then Email, then SMS Phone; empty fields do not erase', () => {
    const contacts: MockContact[] = [];
    importRows(
      'receptionist',
      contacts,
      [row({ Identification: '1', Email: 'a@x.org', 'Business Title': 'Boss' })],
      { sites: [] },
    );
    // Same Identification, new email: an update of the same contact, not a new one.
    const s1 = importRows('receptionist', contacts, [row({ Identification: '1', Email: 'new@x.org' })], {
      sites: [],
    });
    expect(s1).toMatchObject({ created: 0, updated: 1 });
    expect(contacts[0]?.fields).toMatchObject({ Email: 'new@x.org', 'Business Title': 'Boss' });
    // No Identification: found by email.
    const s2 = importRows('receptionist', contacts, [row({ Email: 'NEW@x.org' })], { sites: [] });
    expect(s2).toMatchObject({ created: 0, unchanged: 1 });
    // By SMS Phone.
    importRows('receptionist', contacts, [row({ Identification: '1', 'SMS Phone': '+14165550101' })], {
      sites: [],
    });
    expect(
      importRows('receptionist', contacts, [row({ 'SMS Phone': '+14165550101' })], { sites: [] }),
    ).toMatchObject({ unchanged: 1 });
    expect(contacts).toHaveLength(1);
  });

  it('Receptionist: archives only within the locations the upload touched; message rules per channel', () => {
    const contacts: MockContact[] = [];
    importRows(
      'receptionist',
      contacts,
      [row({ Email: 'a@x.org', Slack: 'a' }), row({ Email: 'b@x.org', 'Location Slug': 'wh' })],
      { sites: [] },
    );
    expect(contacts[0]?.messageRules).toEqual(['email', 'slack']);
    const s = importRows('receptionist', contacts, [row({ Email: 'c@x.org', 'SMS Phone': '+14165550101' })], {
      sites: [],
    });
    expect(s).toEqual({ created: 1, updated: 0, unchanged: 0, archived: 1, errors: [] });
    expect(contacts.map((c) => c.status)).toEqual(['archived', 'active', 'active']);
  });

  it('Receptionist: row errors carry the row number', () => {
    const s = importRows(
      'receptionist',
      [],
      [row({ Email: 'a@x.org' }), row({ 'First Name': '', Email: 'b@x.org' }), row({})],
      { sites: [] },
    );
    expect(s.errors).toEqual([
      { row: 3, message: 'First Name and Last Name are required' },
      { row: 4, message: 'Email or SMS Phone is required' },
    ]);
  });

  it('iLobby: matches by email across sites, ignores empty fields, rejects unknown sites, disables the missing', () => {
    const contacts: MockContact[] = [];
    const r = (email: string, site: string, title = ''): Record<string, string> => ({
      FIRSTNAME: 'A',
      LASTNAME: 'B',
      EMAIL: email,
      SITE: site,
      TITLE: title,
    });
    importRows('ilobby', contacts, [r('a@x.org', 'HQ', 'Boss'), r('b@x.org', 'HQ')], {
      sites: ['HQ', 'Lab'],
    });
    const s = importRows('ilobby', contacts, [r('A@x.org', 'Lab'), r('c@x.org', 'Moon')], {
      sites: ['HQ', 'Lab'],
    });
    expect(s).toEqual({
      created: 0,
      updated: 1,
      unchanged: 0,
      archived: 1,
      errors: [{ row: 3, message: 'SITE "Moon" is not a site of this account' }],
    });
    expect(contacts.map((c) => [c.fields.EMAIL, c.location, c.status, c.fields.TITLE])).toEqual([
      ['a@x.org', 'Lab', 'active', 'Boss'],
      ['b@x.org', 'HQ', 'disabled', undefined],
    ]);
  });

  it('finds the offset of the first invalid UTF-8 byte', () => {
    expect(invalidUtf8Offset(Buffer.from('Zoë,李,🚀', 'utf8'))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x41, 0x42, 0xff, 0x43]))).toBe(2);
    expect(invalidUtf8Offset(Buffer.from([0x41, 0xc3, 0x28]))).toBe(1);
  });

  it('extracts the file part of a multipart body', async () => {
    const body = Buffer.from(
      '--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nA,B\r\n1,2\r\n\r\n--XyZ--\r\n',
    );
    expect(
      Buffer.from((await multipartFile(body, 'multipart/form-data; boundary=XyZ')) ?? []).toString(),
    ).toBe('A,B\r\n1,2\r\n');
    expect(await multipartFile(body, 'multipart/form-data')).toBeUndefined();
  });
});
