import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
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
