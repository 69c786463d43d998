import { describe, expect, it } from 'vitest';

import { cellRule, cleanCell, emailKey, mixedScriptPart } from '../../src/mapping/cells.js';
import { mapEntry, type EntryLike } from '../../src/mapping/columns.js';
import { compileLayout } from '../../src/vendors/registry.js';
import { identityOf, storedIdentity } from '../../src/plan/identity.js';
import { quoteValue } from '../../src/util/quote-value.js';
import { isFormulaLike } from '../../src/util/spreadsheet.js';
import { validateRow } from '../../src/validation/validate.js';

function entry(attrs: Record<string, string>): EntryLike {
  const map = new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), [v]]));
  return { dn: 'uid=x', get: (a) => map.get(a.toLowerCase()) ?? [] };
}

const receptionist = compileLayout({ profile: 'receptionist', kind: 'ldap' }).set;
const ilobby = compileLayout({ profile: 'ilobby', kind: 'ldap' }).set;
const ctx = { location: 'hq', defaultCountry: 'CA' as const };
const check = (
  attrs: Record<string, string>,
  set = receptionist,
): { cells: string[]; reasons: string[]; warnings: string[] } => {
  const row = mapEntry(
    set,
    entry({ givenName: 'Ada', sn: 'Lovelace', mail: 'ada@example.com', ...attrs }),
    ctx,
  );
  return { cells: row.cells, ...validateRow(set, row) };
};
const cell = (set: typeof receptionist, cells: string[], header: string): string =>
  cells[set.headers.indexOf(header)] ?? '?';

describe('invisible and direction characters', () => {
  it('rejects an email holding any format or separator character', () => {
    for (const mail of [
      'zw\u200b@example.com',
      'a\u00ad@example.com',
      'a\u2028b@example.com',
      'a\ufeffb@x.org',
    ]) {
      expect(check({ mail }).reasons).toHaveLength(1);
      expect(check({ mail }).reasons[0]).toMatch(/^Email contains the invisible character U\+/);
    }
  });

  it('removes zero-width characters and the soft hyphen from names, with a warning', () => {
    const out = check({ givenName: 'A\u200bda', sn: 'Love\u00adlace' });
    expect(out.reasons).toEqual([]);
    expect(cell(receptionist, out.cells, 'First Name')).toBe('Ada');
    expect(cell(receptionist, out.cells, 'Last Name')).toBe('Lovelace');
    expect(out.warnings).toEqual([
      'First Name had invisible characters (U+200B) removed from "A\\u200bda"',
      'Last Name had invisible characters (U+00AD) removed from "Love\\u00adlace"',
    ]);
  });

  it('keeps ZWJ and ZWNJ inside a script or an emoji sequence, removes them between ASCII letters', () => {
    const family = '\u{1F468}\u200d\u{1F469}\u200d\u{1F467}';
    expect(check({ givenName: `Sam ${family}` }).cells[0]).toBe(`Sam ${family}`);
    expect(check({ sn: 'می\u200cخواهم' }).cells[1]).toBe('می\u200cخواهم');
    expect(check({ givenName: 'ad\u200dmin' }).cells[0]).toBe('admin');
  });

  it('rejects bidi overrides in a name, empties them in a title', () => {
    expect(check({ sn: 'Bi\u202edi' }).reasons).toEqual([
      'Last Name contains U+202E, a direction control that changes what a reader sees, in "Bi\\u202edi"; fix the value in the directory',
    ]);
    const title = check({ title: 'CEO\u202egnp.exe' });
    expect(title.reasons).toEqual([]);
    expect(cell(receptionist, title.cells, 'Business Title')).toBe('');
    expect(title.warnings[0]).toContain('left empty');
    expect(check({ title: 'x\u2067y' }).warnings[0]).toContain('U+2067');
  });

  it('turns line and paragraph separators into spaces in text, with a warning', () => {
    const out = check({ title: 'Head\u2028of\u2029Quality' });
    expect(cell(receptionist, out.cells, 'Business Title')).toBe('Head of Quality');
    expect(out.warnings).toEqual([
      'Business Title had line or paragraph separators (U+2028, U+2029) made spaces',
    ]);
  });
});

describe('emails in two normal forms', () => {
  it('sends the NFC form and compares NFC', () => {
    const nfd = 'zoe\u0308@example.com';
    const out = check({ mail: nfd });
    expect(cell(receptionist, out.cells, 'Email')).toBe('zoë@example.com'.normalize('NFC'));
    expect(emailKey(nfd)).toBe(emailKey('ZOË@example.com'.normalize('NFC')));
    const row = { cells: out.cells, location: 'hq' };
    expect(identityOf(ilobby, { cells: ['', '', '', '', nfd, '', '', 'hq'], location: 'hq' })).toBe(
      'email:zoë@example.com',
    );
    // A state written before: its NFD identity matches the NFC one of today.
    expect(storedIdentity(receptionist, `hq\u001femail:${nfd}`)).toBe(identityOf(receptionist, row));
    expect(storedIdentity(ilobby, `email:${nfd}`)).toBe('email:zoë@example.com');
  });

  it('warns about an email mixing look-alike scripts', () => {
    expect(mixedScriptPart('\u0430da@example.com')).toBe('\u0430da');
    expect(mixedScriptPart('ada@ex\u0430mple.com')).toBe('ex\u0430mple');
    expect(mixedScriptPart('зоя@пример.рф')).toBeUndefined();
    expect(check({ mail: '\u0430da@example.com' }).warnings).toEqual([
      'Email "\u0430da@example.com" mixes letters of different scripts in "\u0430da": it may be a look-alike of another address',
    ]);
  });
});

describe('quoting a value for a message', () => {
  it('escapes C0, DEL, C1, format and separator characters', () => {
    expect(quoteValue('a\u009b31mb\u202ec\u0007\u007f\u2028')).toBe(
      '"a\\u009b31mb\\u202ec\\u0007\\u007f\\u2028"',
    );
    expect(quoteValue('x'.repeat(100))).toBe(`"${'x'.repeat(57)}..."`);
  });

  it('is used by validation: a C1 control is named and escaped', () => {
    const out = check({ title: 'a\u009bb' });
    expect(out.reasons[0]).toBe(
      'Business Title contains a control character (U+009B) in "a\\u009bb"; fix the value in the directory',
    );
  });
});

describe('length limits', () => {
  it('knows the vendors’ limits and the defaults', () => {
    const rule = (set: typeof receptionist, header: string): number =>
      set.columns[set.headers.indexOf(header)]?.rule.max ?? 0;
    expect(rule(ilobby, 'FIRSTNAME')).toBe(50);
    expect(rule(ilobby, 'LASTNAME')).toBe(50);
    expect(rule(receptionist, 'First Name')).toBe(255);
    expect(rule(receptionist, 'Email')).toBe(254);
    expect(rule(receptionist, 'Slack')).toBe(80);
    expect(cellRule(undefined, undefined, { required: false, unique: false })).toEqual({
      kind: 'text',
      max: 255,
      strict: false,
      over: 'cut',
    });
  });

  it('cuts an optional title with a warning, rejects a long name with the reason', () => {
    const title = check({ title: 'T'.repeat(10_000) });
    expect(cell(receptionist, title.cells, 'Business Title')).toBe('T'.repeat(255));
    expect(title.warnings).toEqual([
      'Business Title is 10000 characters long, over the limit of 255: cut to 255 characters',
    ]);
    const name = check({ givenName: 'N'.repeat(51) }, ilobby);
    expect(name.reasons).toEqual([
      'FIRSTNAME is 51 characters long, over the limit of 50; fix the value in the directory',
    ]);
    // The rejected row's cell is bounded too (the rejects file).
    expect(cell(ilobby, name.cells, 'FIRSTNAME')).toHaveLength(50);
    // Counted in characters, not UTF-16 units: 50 emoji fit.
    expect(check({ givenName: '🚀'.repeat(50) }, ilobby).reasons).toEqual([]);
  });
});

describe('spreadsheet formulas', () => {
  it('knows what a spreadsheet runs', () => {
    for (const f of ['=1+1', '@SUM(A1)', '+SUM(1,2)', '-2+3+cmd|x', '\t=x', '\rx', ' =1', '-Ann', '+'])
      expect(isFormulaLike(f), f).toBe(true);
    for (const t of ['+14165550101', '-2', 'Ann', "O'Neil", '', '1+1', 'a=b', '小龍'])
      expect(isFormulaLike(t), t).toBe(false);
  });

  it('rejects a formula in an email or a name', () => {
    expect(check({ mail: '=x@example.com' }).reasons[0]).toContain('a spreadsheet would run it as a formula');
    expect(check({ givenName: "=cmd|' /C calc'!A0" }).reasons).toHaveLength(1);
  });

  it('catches a formula hidden behind a removed invisible character', () => {
    const out = check({ title: '\u200b=1+1' });
    expect(cell(receptionist, out.cells, 'Business Title')).toBe('');
  });
});

describe('image URLs', () => {
  const set = compileLayout({ profile: 'receptionist', kind: 'ldap', columns: { Image: 'labeledURI' } }).set;
  const image = (url: string): { value: string; warnings: string[] } => {
    const out = check({ labeledURI: url }, set);
    return { value: cell(set, out.cells, 'Image'), warnings: out.warnings };
  };

  it('takes https://, warns about http://, empties anything else', () => {
    expect(image('https://intranet.example.com/a.jpg')).toEqual({
      value: 'https://intranet.example.com/a.jpg',
      warnings: [],
    });
    expect(image('http://intranet/a.jpg').value).toBe('http://intranet/a.jpg');
    expect(image('http://intranet/a.jpg').warnings[0]).toContain('use https://');
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'data:image/png;base64,AAAA', '/a.jpg']) {
      expect(image(bad).value, bad).toBe('');
      expect(image(bad).warnings[0]).toMatch(/is not an https:\/\/ URL; left empty/);
    }
  });
});

describe('cleanCell', () => {
  it('leaves plain text alone', () => {
    const rule = cellRule({}, 'title', { required: false, unique: false });
    expect(cleanCell(rule, 'Chief Analyst')).toEqual({ value: 'Chief Analyst', notes: [] });
  });
});
