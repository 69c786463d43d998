import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readLdif } from '../../src/directory/ldif/reader.js';
import { tempDir } from '../harness/files.js';
import { writeLdif, type LdifEntry } from '../harness/ldif-writer.js';
import { propertyRuns } from '../harness/property.js';

/** Text with what LDIF must base64 (leading space, colon, `<`, line breaks, NUL, non-ASCII). */
const text = fc
  .array(
    fc.oneof(
      fc.constantFrom(' ', ':', '<', '\n', '\r\n', '\u0000', '#', '-', 'é', '日本', 'e\u0301'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
      fc.string({ unit: 'grapheme', maxLength: 3 }),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** Values: text, or any bytes (a jpegPhoto, an objectGUID). */
const value = fc.oneof(
  text.map((t) => Buffer.from(t, 'utf8')),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);

const description = fc
  .tuple(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9-]{0,10}$/), fc.option(fc.constantFrom(';lang-fr', ';binary')))
  .map(([name, option]) => name + (option ?? ''))
  .filter((d) => !/^(dn|changetype|version|control)(;|$)/i.test(d));

/** An entry with distinct attribute descriptions (any case), each with one or more values. */
const entry: fc.Arbitrary<LdifEntry> = fc.record({
  dn: fc.oneof(
    fc.constant('uid=ada,ou=people,dc=example,dc=com'),
    text.filter((t) => t.length > 0).map((t) => `cn=${t},dc=example,dc=com`),
  ),
  attributes: fc.uniqueArray(
    fc.record({ description, values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
    { minLength: 1, maxLength: 5, selector: (a) => a.description.toLowerCase() },
  ),
});

const layout = fc.record({
  width: fc.oneof(fc.constant(0), fc.integer({ min: 10, max: 80 })),
  crlf: fc.boolean(),
  version: fc.boolean(),
  finalBlank: fc.boolean(),
});

describe('LDIF write → read round trips (fast-check)', () => {
  it('readLdif gives back every DN, attribute and value a writer folded and base64-encoded', async () => {
    const dir = await tempDir('adsync-ldif-property-');
    const path = join(dir, 'export.ldif');
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 4 }), layout, async (entries, how) => {
        const ldif = writeLdif(entries, how);
        await writeFile(path, ldif);
        const read = [];
        for await (const r of readLdif(path, 'export.ldif')) read.push(r);
        const got = read.map((r) => ({
          dn: r.dn,
          attributes: [...r.attributes.values()].map((a) => ({
            description: a.description,
            values: a.values,
          })),
        }));
        expect(got, JSON.stringify(ldif)).toEqual(entries);
      }),
      propertyRuns(300),
    );
  });
});
