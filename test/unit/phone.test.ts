import { readFile } from 'node:fs/promises';

import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js';
import * as core from 'libphonenumber-js/core';
import examples from 'libphonenumber-js/mobile/examples';
import metadata from 'libphonenumber-js/min/metadata';
import { describe, expect, it } from 'vitest';

import { NOT_FAST, fastPhone, parsePhone } from '../../src/mapping/phone.js';
import { seededRandom } from '../harness/random.js';

/** What libphonenumber-js itself says: E.164 of a valid number, else undefined. */
function reference(text: string, country: CountryCode | undefined): string | undefined {
  const parsed = parsePhoneNumberFromString(text, country);
  return parsed?.isValid() ? parsed.number : undefined;
}

const random = seededRandom;

const NOTATIONS: ((a: string, b: string, c: string) => string)[] = [
  (a, b, c) => `(${a}) ${b}-${c}`,
  (a, b, c) => `(${a})${b}-${c}`,
  (a, b, c) => `${a}-${b}-${c}`,
  (a, b, c) => `${a}.${b}.${c}`,
  (a, b, c) => `${a} ${b} ${c}`,
  (a, b, c) => `${a}${b}${c}`,
  (a, b, c) => `+1 ${a} ${b} ${c}`,
  (a, b, c) => `+1-${a}-${b}-${c}`,
  (a, b, c) => `+1.${a}.${b}.${c}`,
  (a, b, c) => `+1${a}${b}${c}`,
  (a, b, c) => `+1 (${a}) ${b}-${c}`,
];

describe('phone numbers: the fast path agrees with libphonenumber-js', () => {
  it('on random numbers in every notation it takes, for several default countries', () => {
    const rand = random(7);
    const digits = (n: number): string =>
      Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
    const countries: (CountryCode | undefined)[] = ['CA', 'US', 'JM', 'PR', 'GB', 'DE', undefined];
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly area codes that exist (so valid numbers are common), some random ones.
      const area = rand() < 0.8 ? String(200 + Math.floor(rand() * 800)) : digits(3);
      const exchange = rand() < 0.5 ? String(200 + Math.floor(rand() * 800)) : digits(3);
      const text = (NOTATIONS[i % NOTATIONS.length] ?? String)(area, exchange, digits(4));
      const country = countries[Math.floor(rand() * countries.length)];
      if (fastPhone(text, country) !== NOT_FAST) fast++;
      expect([text, country, parsePhone(text, country)]).toEqual([text, country, reference(text, country)]);
    }
    // The fast path did take most of them (the rest went to libphonenumber-js).
    expect(fast).toBeGreaterThan(10_000);
  });

  it('on random international numbers of every calling code', () => {
    const rand = random(23);
    const codes = [
      '1',
      '7',
      '20',
      '27',
      '30',
      '31',
      '33',
      '34',
      '39',
      '41',
      '44',
      '49',
      '52',
      '55',
      '61',
      '81',
      '86',
      '91',
      '234',
      '353',
      '358',
      '380',
      '420',
      '852',
      '971',
      '800',
      '882',
    ];
    let fast = 0;
    for (let i = 0; i < 20_000; i++) {
      const code = codes[Math.floor(rand() * codes.length)] ?? '44';
      const length = 6 + Math.floor(rand() * 8);
      let digits = '';
      for (let d = 0; d < length; d++) digits += String(Math.floor(rand() * 10));
      const sep = [' ', '', '-', '.'][Math.floor(rand() * 4)] ?? ' ';
      const cut = 1 + Math.floor(rand() * (length - 2));
      const text = `+${code}${sep}${digits.slice(0, cut)}${sep}${digits.slice(cut)}`;
      const country = rand() < 0.5 ? 'GB' : 'CA';
      if (fastPhone(text, country) !== NOT_FAST) fast++;
      expect([text, parsePhone(text, country)]).toEqual([text, reference(text, country)]);
    }
    expect(fast).toBeGreaterThan(10_000);
  });

  it('leaves every other notation to libphonenumber-js', () => {
    for (const text of [
      '1 (416) 555-0101',
      '011 44 20 7946 0958',
      '+44 (0)20 7946 0958',
      '+44 20 7946 0958 x12',
      '(416) 555-0101 ext. 12',
      ' (416) 555-0101',
      '416-555.0101',
      '(016) 555-0101',
      '12',
      'call me',
    ]) {
      expect(fastPhone(text, 'CA')).toBe(NOT_FAST);
      expect(parsePhone(text, 'CA')).toBe(reference(text, 'CA'));
    }
    expect(fastPhone('(416) 555-0101', 'GB')).toBe(NOT_FAST);
    expect(fastPhone('(416) 555-0101', undefined)).toBe(NOT_FAST);
    expect(parsePhone('(416) 555-0101', 'CA')).toBe('+14165550101');
    expect(parsePhone('+1 876 555 0101', 'CA')).toBe(reference('+1 876 555 0101', 'CA'));
  });
});

/** Ways people write one number (+, calling code, national number) in a directory. */
const FORMATS: ((cc: string, n: string) => string)[] = [
  (cc, n) => `+${cc}${n}`,
  (cc, n) => `+${cc} ${n}`,
  (cc, n) => `+${cc} ${n.slice(0, 3)} ${n.slice(3)}`,
  (cc, n) => `+${cc}-${n.slice(0, 2)}-${n.slice(2, 5)}-${n.slice(5)}`,
  (cc, n) => `+${cc}.${n.slice(0, 4)}.${n.slice(4)}`,
  (cc, n) => `+${cc} (${n.slice(0, 3)}) ${n.slice(3)}`,
  (cc, n) => `+${cc} (0)${n}`,
  (cc, n) => `00${cc} ${n}`,
  (_cc, n) => `0${n}`,
  (_cc, n) => n,
  (cc, n) => `tel:+${cc}${n}`,
  (cc, n) => `+${cc} ${n} ext. 12`,
  (cc, n) => `+${cc} ${n} x4`,
  (cc, n) => `+${cc}${n};ext=123`,
  (cc, n) => ` +${cc} ${n} `,
  (cc, n) => `+${cc}  ${n}`,
  (cc, n) => `+${cc} ${n.slice(0, -1)}A`,
];

describe('phone numbers: the fast path against libphonenumber-js on every country', () => {
  it('the version is pinned exactly: the fast path reads the metadata of this very release', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(
      await readFile(new URL('../../node_modules/libphonenumber-js/package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(manifest.dependencies['libphonenumber-js']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.dependencies['libphonenumber-js']).toBe(installed.version);
  });

  it('the metadata has the shape the fast path reads', () => {
    expect(Object.keys(metadata).sort()).toEqual([
      'countries',
      'country_calling_codes',
      'nonGeographic',
      'version',
    ]);
    const Metadata: unknown = Reflect.get(core, 'Metadata');
    expect(typeof Metadata).toBe('function');
    const read: unknown = Reflect.construct(Metadata as new (json: unknown) => object, [metadata]);
    for (const method of [
      'hasCallingCode',
      'nationalPrefixForParsing',
      'selectNumberingPlan',
      'countryCallingCode',
      'getCountryCodesForCallingCode',
      'leadingDigits',
      'nationalNumberPattern',
      'hasTypes',
      'type',
    ])
      expect([method, typeof Reflect.get(read as object, method)]).toEqual([method, 'function']);
  });

  it('agrees on valid, mutated and invalid numbers of every country, in many notations', () => {
    const rand = random(2026);
    const digit = (): string => String(Math.floor(rand() * 10));
    const others: (CountryCode | undefined)[] = [undefined, 'US', 'CA', 'GB', 'DE', 'FR', 'IN', 'AU'];
    let cases = 0;
    let fast = 0;
    let valid = 0;
    const fastValidCountries = new Set<string>();
    for (const country of getCountries()) {
      const cc = getCountryCallingCode(country);
      const example = examples[country];
      if (!example) continue;
      // The example (valid), its last digits changed (often valid), its first digit changed
      // (another type, or invalid), one digit short, one digit long, and random digits.
      const numbers = [example];
      for (let k = 1; k <= 4; k++)
        numbers.push(example.slice(0, -k) + Array.from({ length: k }, digit).join(''));
      numbers.push(digit() + example.slice(1), example.slice(0, -1), example + digit());
      numbers.push(Array.from({ length: example.length }, digit).join(''));
      for (const n of numbers) {
        for (const format of FORMATS) {
          const text = format(cc, n);
          // Every other case reads it with the number's own country, the rest with another one.
          const defaultCountry = cases % 2 === 0 ? country : others[Math.floor(rand() * others.length)];
          cases++;
          const expected = reference(text, defaultCountry);
          const quick = fastPhone(text, defaultCountry);
          if (quick !== NOT_FAST) {
            fast++;
            expect([text, defaultCountry, quick]).toEqual([text, defaultCountry, expected]);
            if (expected !== undefined) fastValidCountries.add(country);
          }
          if (expected !== undefined) valid++;
          expect([text, defaultCountry, parsePhone(text, defaultCountry)]).toEqual([
            text,
            defaultCountry,
            expected,
          ]);
        }
      }
    }
    // A broad corpus, of which the fast path decided a large part itself (valid numbers of
    // nearly every country among them): a metadata change that breaks it cannot hide.
    expect(cases).toBeGreaterThan(35_000);
    expect(valid).toBeGreaterThan(15_000);
    expect(fast).toBeGreaterThan(9_000);
    expect(fastValidCountries.size).toBeGreaterThan(200);
  }, 120_000);

  it('agrees on random digits after every calling code, geographic or not', () => {
    const rand = random(88);
    const codes = [...Object.keys(metadata.country_calling_codes)];
    let fast = 0;
    for (const cc of codes) {
      for (let i = 0; i < 60; i++) {
        const length = 4 + Math.floor(rand() * 12);
        const n = Array.from({ length }, () => String(Math.floor(rand() * 10))).join('');
        const text = (FORMATS[i % 6] ?? String)(cc, n);
        const quick = fastPhone(text, 'CA');
        if (quick !== NOT_FAST) fast++;
        expect([text, parsePhone(text, 'CA')]).toEqual([text, reference(text, 'CA')]);
      }
    }
    expect(codes.length).toBeGreaterThan(200);
    expect(fast).toBeGreaterThan(codes.length * 30);
  });
});
