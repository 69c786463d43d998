/**
 * Attributes that hold bytes, never text, and what a column reading one must do instead. The
 * fixed list names the usual ones; a server's schema adds those it declares binary.
 */

/**
 * Known binary attributes by lower-case name, with what they hold: GUIDs and SIDs can be read
 * with `format: guid` / `sid`; photos, certificates, keys, hashes and sound never become a cell.
 */
const BINARY_ATTRIBUTES = new Map<string, 'guid' | 'sid' | 'photo' | 'bytes'>([
  ['thumbnailphoto', 'photo'],
  ['jpegphoto', 'photo'],
  ['photo', 'photo'],
  ['thumbnaillogo', 'photo'],
  ['objectguid', 'guid'],
  ['ms-ds-consistencyguid', 'guid'],
  ['msexchmailboxguid', 'guid'],
  ['msexcharchiveguid', 'guid'],
  ['objectsid', 'sid'],
  ['sidhistory', 'sid'],
  ['msexchmasteraccountsid', 'sid'],
  ['usercertificate', 'bytes'],
  ['usersmimecertificate', 'bytes'],
  ['cacertificate', 'bytes'],
  ['crosscertificatepair', 'bytes'],
  ['certificaterevocationlist', 'bytes'],
  ['authorityrevocationlist', 'bytes'],
  ['userpkcs12', 'bytes'],
  ['audio', 'bytes'],
  ['userpassword', 'bytes'],
  ['ntsecuritydescriptor', 'bytes'],
  ['logonhours', 'bytes'],
  ['msds-keycredentiallink', 'bytes'],
]);

/**
 * Why a known attribute is binary, undefined for one not on the fixed list.
 * @param attribute the attribute's name (any case)
 */
export function knownBinary(attribute: string): string | undefined {
  const kind = BINARY_ATTRIBUTES.get(attribute.toLowerCase());
  return kind === 'bytes' ? 'a certificate, key, password or sound' : kind;
}

/**
 * What is wrong with a column reading binary attributes as text: nothing when it reads them
 * with a binary format (guid, sid), or they are text.
 * @param attributes the attributes the column reads
 * @param formats its formats
 * @param binary why an attribute is binary (the fixed list, or the schema's syntax); undefined for text
 */
export function binaryProblems(
  attributes: readonly string[],
  formats: readonly string[],
  binary: (attribute: string) => string | undefined,
): string[] {
  if (formats[0] === 'guid' || formats[0] === 'sid') return [];
  return attributes.flatMap((a) => {
    const why = binary(a);
    if (why === undefined) return [];
    const kind = BINARY_ATTRIBUTES.get(a.toLowerCase());
    if (kind === 'photo' || /photo/i.test(a))
      return [
        `${a} is a binary photo and is never put in the CSV; the Image column takes a URL, e.g. "https://intranet.example.com/photos/{sAMAccountName}.jpg"`,
      ];
    if (kind === 'guid') return [`${a} is binary (a GUID); read it with format: guid`];
    if (kind === 'sid') return [`${a} is binary (a SID); read it with format: sid`];
    if (kind === 'bytes')
      return [`${a} is binary (${why}) and cannot be a column: no CSV cell holds its bytes`];
    return [
      `${a} is binary (${why}): read it with format: guid or sid if it holds a GUID or SID; otherwise it cannot be a column`,
    ];
  });
}
