import type { Client } from 'ldapts';

/**
 * The attribute syntaxes a server publishes in its subschema entry (RFC 4512: the root DSE's
 * `subschemaSubentry` names it; its `attributeTypes` give each attribute's SYNTAX, or the SUP it
 * inherits one from). OpenLDAP and Active Directory both publish it, AD with quoted OIDs.
 */

/** Syntaxes whose values are bytes, not text (RFC 4517 and RFC 4523 OIDs). */
const BINARY_SYNTAXES: Readonly<Record<string, string>> = {
  '1.3.6.1.4.1.1466.115.121.1.4': 'Audio',
  '1.3.6.1.4.1.1466.115.121.1.5': 'Binary',
  '1.3.6.1.4.1.1466.115.121.1.8': 'Certificate',
  '1.3.6.1.4.1.1466.115.121.1.9': 'Certificate List',
  '1.3.6.1.4.1.1466.115.121.1.10': 'Certificate Pair',
  '1.3.6.1.4.1.1466.115.121.1.23': 'Fax',
  '1.3.6.1.4.1.1466.115.121.1.28': 'JPEG',
  '1.3.6.1.4.1.1466.115.121.1.40': 'Octet String',
  '1.3.6.1.4.1.1466.115.121.1.49': 'Supported Algorithm',
};

/** The most attributeTypes values read: a real schema has a few thousand at most. */
const MAX_TYPES = 20_000;

/** One attribute type as declared: its SYNTAX, or the type it inherits it from. */
interface Declared {
  syntax: string | undefined;
  sup: string | undefined;
}

const quoted = (text: string): string[] => [...text.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');

/**
 * Parse attributeTypes values into declarations by lower-case name and OID.
 * @param values the attributeTypes values
 */
export function parseAttributeTypes(values: readonly string[]): Map<string, Declared> {
  const types = new Map<string, Declared>();
  for (const value of values.slice(0, MAX_TYPES)) {
    const oid = /^\(\s*'?([0-9A-Za-z.;-]+)'?/.exec(value)?.[1];
    const names = /\bNAME\s+(\([^)]*\)|'[^']*')/.exec(value)?.[1];
    const declared = {
      syntax: /\bSYNTAX\s+'?([0-9.]+)/.exec(value)?.[1],
      sup: /\bSUP\s+'?([0-9A-Za-z.;-]+)'?/.exec(value)?.[1]?.toLowerCase(),
    };
    for (const name of [...(oid ? [oid] : []), ...(names ? quoted(names) : [])])
      types.set(name.toLowerCase(), declared);
  }
  return types;
}

/**
 * The binary syntax of an attribute, following SUP (at most 10 levels: a loop is not followed).
 * @param types the declarations
 * @param attribute the attribute's name or OID, options allowed (`userCertificate;binary`)
 * @returns e.g. "Octet String syntax, 1.3.6.1.4.1.1466.115.121.1.40", or undefined for text or unknown
 */
export function binarySyntax(types: ReadonlyMap<string, Declared>, attribute: string): string | undefined {
  let name: string | undefined = attribute.split(';')[0]?.toLowerCase();
  for (let depth = 0; name !== undefined && depth < 10; depth++) {
    const declared = types.get(name);
    if (declared === undefined) return undefined;
    if (declared.syntax !== undefined) {
      const what = BINARY_SYNTAXES[declared.syntax];
      return what === undefined ? undefined : `the schema gives it the ${what} syntax, ${declared.syntax}`;
    }
    name = declared.sup;
  }
  return undefined;
}

const textValues = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');

/**
 * Read the server's attribute types: the root DSE's subschemaSubentry, then that entry's
 * attributeTypes (two base searches).
 * @param client a bound client
 * @returns the declarations, or undefined when the server publishes no subschema entry
 */
export async function readAttributeTypes(client: Client): Promise<Map<string, Declared> | undefined> {
  const root = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['subschemaSubentry'],
  });
  const dn = textValues(root.searchEntries[0]?.subschemaSubentry)[0];
  if (dn === undefined || dn === '') return undefined;
  const schema = await client.search(dn, {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['attributeTypes'],
    sizeLimit: 1,
  });
  const entry = schema.searchEntries[0];
  if (entry === undefined) return undefined;
  const key = Object.keys(entry).find((k) => k.toLowerCase() === 'attributetypes');
  return parseAttributeTypes(key === undefined ? [] : textValues(entry[key]));
}
