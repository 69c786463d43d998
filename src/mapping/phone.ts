import { parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js';
import * as core from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/min/metadata';

/**
 * Reading a phone number with libphonenumber-js costs 20–30 µs, most of it spent rebuilding the
 * same long regular expressions for every call (its `matchesEntirely` compiles a new RegExp each
 * time) while it finds which of the countries sharing a calling code (25 for +1) a number
 * belongs to. At 100,000 people that alone is two to three seconds. Numbers in international
 * notation, and North American numbers in the usual national notations, take a fast path here
 * that makes exactly the decisions libphonenumber-js makes (the same metadata, the same order of
 * countries and number types), with each regular expression compiled once; everything else
 * (national prefixes, extensions, odd punctuation) goes to libphonenumber-js itself. The unit
 * tests compare both on many random numbers, so a library update that changes the rules is
 * caught.
 */

/** The parts of libphonenumber-js's (untyped) Metadata class that the fast path reads. */
interface NumberingType {
  pattern(): string | undefined;
  possibleLengths(): number[] | undefined;
}
interface LibMetadata {
  hasCallingCode(callingCode: string): boolean;
  nationalPrefixForParsing(): string | undefined;
  selectNumberingPlan(countryOrCallingCode: string): LibMetadata;
  countryCallingCode(): string;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  leadingDigits(): string | undefined;
  nationalNumberPattern(): string;
  hasTypes(): boolean;
  type(type: string): NumberingType | undefined;
}

const MetadataClass = (core as unknown as { Metadata: new (json: MetadataJson) => LibMetadata }).Metadata;

/** libphonenumber-js's order of number types after FIXED_LINE (helpers/getNumberType.js). */
const NON_FIXED_LINE_TYPES = [
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

/** One numbering plan, with its patterns compiled once. */
interface Plan {
  country: string;
  leadingDigits: RegExp | undefined;
  /** Whether the national number is valid here (libphonenumber-js's isValid for this plan). */
  valid: (national: string) => boolean;
}

const entirely = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);

function compilePlan(metadata: LibMetadata, countryOrCallingCode: string): Plan {
  metadata.selectNumberingPlan(countryOrCallingCode);
  const national = entirely(metadata.nationalNumberPattern());
  const leading = metadata.leadingDigits();
  const typeTests = ['FIXED_LINE', ...NON_FIXED_LINE_TYPES].flatMap((name) => {
    const type = metadata.type(name);
    const pattern = type?.pattern();
    if (!type || !pattern) return [];
    const re = entirely(pattern);
    const lengths = type.possibleLengths();
    return [(n: string): boolean => (!lengths || lengths.includes(n.length)) && re.test(n)];
  });
  // getNumberType returns a type when the national pattern matches and FIXED_LINE or any other
  // type matches; isValid without type patterns falls back to the national pattern alone.
  const valid = metadata.hasTypes()
    ? (n: string): boolean => national.test(n) && typeTests.some((test) => test(n))
    : (n: string): boolean => national.test(n);
  return {
    country: countryOrCallingCode,
    leadingDigits: leading ? new RegExp(leading) : undefined,
    valid,
  };
}

/** The numbering plans of one calling code, compiled. */
interface CallingCode {
  /** Its countries in libphonenumber-js's order, for getCountryByNationalNumber. */
  countries: Plan[];
  /** Plans by country, and by the calling code itself (its main country's plan), for isValid. */
  byCode: Map<string, Plan>;
  /** The main plan's national prefix for parsing, anchored (numbers it matches are left out). */
  nationalPrefix: RegExp | undefined;
}

interface Plans {
  metadata: LibMetadata;
  codes: Map<string, CallingCode | null>;
}

let plans: Plans | undefined;

/** The compiled plans of a calling code; null when it has no countries (non-geographic). */
function callingCode(code: string): CallingCode | null {
  plans ??= { metadata: new MetadataClass(metadataJson), codes: new Map() };
  const known = plans.codes.get(code);
  if (known !== undefined) return known;
  const { metadata } = plans;
  const countries = metadata.getCountryCodesForCallingCode(code);
  let compiled: CallingCode | null = null;
  if (countries && countries.length > 0) {
    const list = countries.map((c) => compilePlan(metadata, c));
    const byCode = new Map(list.map((p) => [p.country, p]));
    byCode.set(code, compilePlan(metadata, code));
    metadata.selectNumberingPlan(code);
    const prefix = metadata.nationalPrefixForParsing();
    compiled = { countries: list, byCode, nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : undefined };
  }
  plans.codes.set(code, compiled);
  return compiled;
}

/** Whether a calling code exists at all (geographic or not), as extractCountryCallingCode asks. */
function isCallingCode(code: string): boolean {
  plans ??= { metadata: new MetadataClass(metadataJson), codes: new Map() };
  return plans.metadata.hasCallingCode(code);
}

/**
 * libphonenumber-js's decisions once the calling code and national number are known: the country
 * (getCountryByCallingCode / getCountryByNationalNumber) and isValid.
 */
function decide(
  code: CallingCode,
  callingCodeText: string,
  national: string,
  preset: string | undefined,
): string | undefined {
  let country = preset;
  if (code.countries.length === 1) country = code.countries[0]?.country;
  else {
    for (const plan of code.countries) {
      if (plan.leadingDigits) {
        if (national.search(plan.leadingDigits) === 0) {
          country = plan.country;
          break;
        }
      } else if (plan.valid(national)) {
        country = plan.country;
        break;
      }
    }
  }
  const plan = code.byCode.get(country ?? callingCodeText);
  return plan?.valid(national) ? `+${callingCodeText}${national}` : undefined;
}

// National North American notations the fast path takes (the area code never starts with 0 or
// 1, so no trunk or international prefix is involved). Groups: area code, exchange, line.
const NATIONAL = [
  /^\((?<a>[2-9]\d\d)\) ?(?<b>\d{3})-(?<c>\d{4})$/,
  /^(?<a>[2-9]\d\d)(?<s>[-. ]?)(?<b>\d{3})\k<s>(?<c>\d{4})$/,
];
// International notation: + and digits, in groups separated by one space, dot or hyphen, or a
// North American "+1 (416) 555-0101".
const INTERNATIONAL = /^\+\d+(?:[ .-]\d+)*$/;
const INTERNATIONAL_NANP = /^\+1 ?\((?<a>[2-9]\d\d)\) ?(?<b>\d{3})-(?<c>\d{4})$/;

/** What {@link fastPhone} returns for text it leaves to libphonenumber-js. */
export const NOT_FAST = Symbol('not a notation the fast path takes');

/**
 * The fast path: E.164 for a valid number, undefined for an invalid one, or {@link NOT_FAST}
 * when the text is not one of the notations it takes: international numbers (+ and digit
 * groups) of any country, and national North American numbers when the default country is one.
 * @param text the value from the directory
 * @param defaultCountry country for national numbers
 */
export function fastPhone(
  text: string,
  defaultCountry: CountryCode | undefined,
): string | undefined | typeof NOT_FAST {
  if (text.length > 40) return NOT_FAST;
  if (text.charCodeAt(0) === 43 /* + */) {
    let digits: string;
    if (INTERNATIONAL.test(text)) digits = text.slice(1).replace(/[ .-]/g, '');
    else {
      const g = INTERNATIONAL_NANP.exec(text)?.groups;
      if (!g) return NOT_FAST;
      digits = `1${g.a ?? ''}${g.b ?? ''}${g.c ?? ''}`;
    }
    if (digits.charCodeAt(0) === 48 /* 0 */) return NOT_FAST;
    // extractCountryCallingCode: the shortest prefix (1 to 3 digits) that is a calling code.
    for (let i = 1; i <= 3 && i < digits.length; i++) {
      const cc = digits.slice(0, i);
      if (!isCallingCode(cc)) continue;
      const code = callingCode(cc);
      const national = digits.slice(i);
      // Non-geographic codes, national prefixes to strip and odd lengths: the library decides.
      if (!code || national.length < 2 || national.length > 17) return NOT_FAST;
      if (code.nationalPrefix?.test(national)) return NOT_FAST;
      return decide(code, cc, national, undefined);
    }
    return NOT_FAST;
  }
  if (defaultCountry === undefined) return NOT_FAST;
  const nanp = callingCode('1');
  if (!nanp?.countries.some((p) => p.country === defaultCountry)) return NOT_FAST;
  let national: string | undefined;
  for (const re of NATIONAL) {
    const g = re.exec(text)?.groups;
    if (g) {
      national = `${g.a ?? ''}${g.b ?? ''}${g.c ?? ''}`;
      break;
    }
  }
  if (national === undefined) return NOT_FAST;
  // A national number keeps the default country when no +1 country claims it.
  return decide(nanp, '1', national, defaultCountry);
}

/**
 * Read a phone number and render it as E.164 (`+14165550101`), or undefined when it is not a
 * valid number.
 * @param text the value from the directory
 * @param defaultCountry country for national numbers
 */
export function parsePhone(text: string, defaultCountry: CountryCode | undefined): string | undefined {
  const fast = fastPhone(text, defaultCountry);
  if (fast !== NOT_FAST) return fast;
  const parsed = parsePhoneNumberFromString(text, defaultCountry);
  if (!parsed?.isValid()) return undefined;
  return parsed.number;
}
