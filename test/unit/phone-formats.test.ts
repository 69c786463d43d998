import { describe, expect, it } from 'vitest';

import { applyFormat, formatPhoneNational } from '../../src/mapping/formats.js';
import type { ColumnInput } from '../../src/mapping/types.js';
import { compileLayout } from '../../src/vendors/registry.js';

const formatsOf = (
  profile: 'receptionist' | 'ilobby',
  header: string,
  columns: Record<string, ColumnInput> = {},
): { formats: string[]; issues: string[] } => {
  const { set, issues } = compileLayout({
    profile,
    kind: 'ldap',
    columns,
  });
  const column = set.columns.find((c) => c.header === header);
  return { formats: column?.formats ?? [], issues: issues.map((i) => i.message) };
};

describe('phone formats that keep the number whole', () => {
  it('phone-national: national digits at home, E.164 abroad', () => {
    expect(formatPhoneNational('(416) 999-8888', 'CA')).toBe('4169998888');
    expect(formatPhoneNational('+1 416 999 8888', 'CA')).toBe('4169998888');
    expect(formatPhoneNational('+44 20 7946 0958', 'CA')).toBe('+442079460958');
    expect(formatPhoneNational('+44 20 7946 0958', 'GB')).toBe('02079460958');
    expect(formatPhoneNational('020 7946 0958', 'GB')).toBe('02079460958');
    expect(formatPhoneNational('+44 20 7946 0958', undefined)).toBe('+442079460958');
    expect(formatPhoneNational('call me', 'CA')).toBeUndefined();
    // Already national digits: reading them again gives the same (formats may run twice).
    expect(formatPhoneNational('4169998888', 'CA')).toBe('4169998888');
    expect(applyFormat('phone-national', '', { defaultCountry: 'CA' })).toEqual({ ok: true, value: '' });
    expect(applyFormat('phone-national', '12', { defaultCountry: 'CA' })).toEqual({
      ok: false,
      problem: 'phone',
    });
  });

  it('format: digits on a phone column runs after the vendor phone format, not before', () => {
    expect(
      formatsOf('receptionist', 'SMS Phone', { 'SMS Phone': { from: 'mobile', format: 'digits' } }),
    ).toEqual({
      formats: ['phone', 'digits'],
      issues: [],
    });
    expect(formatsOf('receptionist', 'SMS Phone').formats).toEqual(['phone']);
    // iLobby's default is its sample's national digits; a config naming a phone format keeps it.
    expect(formatsOf('ilobby', 'MOBILE').formats).toEqual(['phone-national']);
    expect(formatsOf('ilobby', 'MOBILE', { MOBILE: { from: 'mobile', format: 'phone' } }).formats).toEqual([
      'phone',
    ]);
    const wrong = formatsOf('receptionist', 'SMS Phone', {
      'SMS Phone': { from: 'mobile', format: ['digits', 'phone'] },
    });
    expect(wrong.issues.join('\n')).toContain('"digits" before a phone format strips the +');
  });
});
