import { getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

import type { FormatName } from './types.js';
import { parsePhone } from './phone.js';

/** Context that formats need. */
export interface FormatContext {
  /** Country for reading national phone numbers. */
  defaultCountry: CountryCode | undefined;
}

/** Outcome of formatting one value: the text, or why it could not be formatted. */
export type FormatOutcome = { ok: true; value: string } | { ok: false; problem: 'phone' | 'guid' | 'sid' };

/**
 * Render a 16-byte objectGUID the way Windows shows it: the first three groups are little-endian.
 * @param bytes the raw attribute value
 */
export function formatGuid(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 16) return undefined;
  const hex = (i: number): string => (bytes[i] ?? 0).toString(16).padStart(2, '0');
  const group = (indexes: number[]): string => indexes.map(hex).join('');
  return [
    group([3, 2, 1, 0]),
    group([5, 4]),
    group([7, 6]),
    group([8, 9]),
    group([10, 11, 12, 13, 14, 15]),
  ].join('-');
}

/**
 * Render a binary objectSid as `S-1-5-21-…`.
 * @param bytes the raw attribute value
 */
export function formatSid(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const revision = view.getUint8(0);
  const count = view.getUint8(1);
  if (bytes.length !== 8 + count * 4) return undefined;
  let authority = 0;
  for (let i = 2; i < 8; i++) authority = authority * 256 + view.getUint8(i);
  const parts = [`S-${revision}-${authority}`];
  for (let i = 0; i < count; i++) parts.push(String(view.getUint32(8 + i * 4, true)));
  return parts.join('-');
}

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Read a phone number and render it as E.164 (`+14165550101`).
 * @param text the value from the directory
 * @param defaultCountry country for national numbers
 */
export function formatPhone(text: string, defaultCountry: CountryCode | undefined): string | undefined {
  return parsePhone(text, defaultCountry);
}

/**
 * Read a phone number and render it as the digits dialled at home for numbers that share the
 * default country's calling code (`4169998888` for a Toronto number with CA, `02079460958` for a
 * London number with GB), and as E.164 otherwise, so that a foreign number stays whole.
 * @param text the value from the directory
 * @param defaultCountry country for national numbers (without one, every number is E.164)
 */
export function formatPhoneNational(
  text: string,
  defaultCountry: CountryCode | undefined,
): string | undefined {
  const e164 = parsePhone(text, defaultCountry);
  if (e164 === undefined || defaultCountry === undefined) return e164;
  const code = getCountryCallingCode(defaultCountry);
  if (!e164.startsWith(`+${code}`)) return e164;
  // +1 numbers have no national prefix: the national digits are what follows the code.
  if (code === '1') return e164.slice(2);
  const national = parsePhoneNumberFromString(e164)?.formatNational();
  return national === undefined ? e164 : national.replace(/\D+/g, '');
}

/**
 * Apply one format to a value. Binary values are only meaningful to `guid` and `sid`.
 * @param format the format's name
 * @param value text, or the raw bytes of a binary attribute
 * @param context phone country
 */
export function applyFormat(
  format: FormatName,
  value: string | Uint8Array,
  context: FormatContext,
): FormatOutcome {
  if (format === 'guid' || format === 'sid') {
    // Requested as bytes, a GUID or SID stored as text (OpenLDAP's entryUUID) arrives as its
    // UTF-8 encoding; binary GUIDs are exactly 16 bytes.
    if (typeof value !== 'string' && !(format === 'guid' && value.length === 16)) {
      const text = Buffer.from(value).toString('utf8');
      if (GUID_TEXT.test(text) || /^S-\d+-\d+(-\d+)*$/.test(text)) value = text;
    }
    if (typeof value === 'string') {
      // OpenLDAP's entryUUID and values already rendered by a previous step arrive as text.
      if (format === 'guid' && GUID_TEXT.test(value)) return { ok: true, value: value.toLowerCase() };
      if (format === 'sid' && /^S-\d+-\d+(-\d+)*$/.test(value)) return { ok: true, value };
      return { ok: false, problem: format };
    }
    const text = format === 'guid' ? formatGuid(value) : formatSid(value);
    return text === undefined ? { ok: false, problem: format } : { ok: true, value: text };
  }
  if (typeof value !== 'string') return { ok: true, value: Buffer.from(value).toString('latin1') };
  switch (format) {
    case 'trim':
      return { ok: true, value: value.trim() };
    case 'lower':
      return { ok: true, value: value.toLowerCase() };
    case 'upper':
      return { ok: true, value: value.toUpperCase() };
    case 'digits':
      return { ok: true, value: value.replace(/\D+/g, '') };
    case 'phone': {
      if (value.trim() === '') return { ok: true, value: '' };
      const phone = formatPhone(value, context.defaultCountry);
      return phone === undefined ? { ok: false, problem: 'phone' } : { ok: true, value: phone };
    }
    case 'phone-national': {
      if (value.trim() === '') return { ok: true, value: '' };
      const phone = formatPhoneNational(value, context.defaultCountry);
      return phone === undefined ? { ok: false, problem: 'phone' } : { ok: true, value: phone };
    }
  }
}
