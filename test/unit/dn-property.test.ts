import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { foldText, parseDn } from '../../src/directory/dn.js';
import { propertyRuns } from '../harness/property.js';

/** One attribute of an RDN: a name (any case) or a numeric OID (no `OID.` prefix), and a value. */
interface Ava {
  type: string;
  value: string;
}

const attributeType = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,6}$/),
  fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')),
);

/** Values with what DNs must escape, spaces, Unicode to fold, and random text. */
const value = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ',',
        '+',
        ';',
        '"',
        '\\',
        '<',
        '>',
        '=',
        '#',
        ' ',
        '  ',
        '\t',
        'é',
        'e\u0301',
        'ß',
        'ﬁ',
        'İ',
        '日本',
        '\u00a0',
      ),
      fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
      fc.string({ unit: 'grapheme', maxLength: 2 }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

const rdn = fc.array(fc.record({ type: attributeType, value }), { minLength: 1, maxLength: 3 });

/** How a writer spells each part: escapes (`\,` or `\2C`), quotes, spaces, separators, case. */
const style = fc.record({
  hex: fc.boolean(),
  hexAll: fc.boolean(),
  quote: fc.boolean(),
  space: fc.constantFrom('', ' ', '  '),
  semicolon: fc.boolean(),
  upper: fc.boolean(),
});
type Style = typeof style extends fc.Arbitrary<infer S> ? S : never;

const hexOf = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((b) => `\\${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');

/** A value as RFC 4514 writes it (or RFC 1779's quotes), in the given style. */
function formatValue(text: string, s: Style): string {
  if (s.quote) return `"${text.replace(/["\\]/g, '\\$&')}"`;
  // Code points: a hex escape writes the UTF-8 bytes of one whole character.
  const chars = Array.from(text);
  return chars
    .map((c, i) => {
      const special =
        ',+;"\\<>'.includes(c) ||
        (i === 0 && (c === '#' || c === ' ')) ||
        (i === chars.length - 1 && c === ' ');
      if (s.hexAll) return hexOf(c);
      if (!special) return c;
      return s.hex ? hexOf(c) : `\\${c}`;
    })
    .join('');
}

/** A DN (leaf first) as a writer spells it. */
function formatDn(rdns: readonly Ava[][], styles: readonly Style[]): string {
  return rdns
    .map((avas, r) => {
      const s = styles[r % styles.length] ?? {
        hex: false,
        hexAll: false,
        quote: false,
        space: '',
        semicolon: false,
        upper: false,
      };
      const sep = `${s.space}+${s.space}`;
      return avas
        .map(
          (a) => `${s.upper ? a.type.toUpperCase() : a.type}${s.space}=${s.space}${formatValue(a.value, s)}`,
        )
        .join(sep);
    })
    .map((text, r) => {
      const s = styles[r % styles.length];
      return r === 0 ? text : `${s?.semicolon ? ';' : ','}${s?.space ?? ''}${text}`;
    })
    .join('');
}

/** What parseDn must give: per RDN its parts in comparable form, sorted, joined by `+`. */
const expected = (rdns: readonly Ava[][]): string[] =>
  rdns.map((avas) =>
    avas
      .map((a) => `${a.type.toLowerCase()}=${foldText(a.value).replace(/[\\,+=]/g, '\\$&')}`)
      .sort()
      .join('+'),
  );

describe('DN parse of formatted DNs (fast-check)', () => {
  it('any DN, however a writer escapes, quotes and spaces it, parses to its comparable form', () => {
    fc.assert(
      fc.property(
        fc.array(rdn, { minLength: 1, maxLength: 4 }),
        fc.array(style, { minLength: 1, maxLength: 4 }),
        (rdns, styles) => {
          const dn = formatDn(rdns, styles);
          expect(parseDn(dn), dn).toEqual(expected(rdns));
        },
      ),
      propertyRuns(1000),
    );
  });

  it('the plain fast path and the full parser agree on plain DNs', () => {
    const plain = fc.stringMatching(/^[a-z0-9 .-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('cn', 'OU', 'dc', '2.5.4.3'), plain), {
          minLength: 1,
          maxLength: 4,
        }),
        (parts) => {
          const dn = parts.map(([t, v]) => `${t}=${v}`).join(',');
          // An escaped trailing space (folded away) sends the DN down the full parser.
          const viaParser = parts.map(([t, v]) => `${t}=${v}\\ `).join(',');
          expect(parseDn(dn), dn).toEqual(parseDn(viaParser));
        },
      ),
      propertyRuns(500),
    );
  });
});
