import { DirectoryError } from '../../errors.js';
import { inScope, parseDn } from '../dn.js';
import type { SearchScope } from '../types.js';
import { serverExcerpt } from '../../util/server-text.js';

/**
 * A check that each entry a search returned is where the search looked: at or below its base
 * (scope `sub`), a direct child (`one`), or the base itself (`base`), compared as DNs (case,
 * spaces and escapes do not matter). A proxy or virtual directory that answers with entries from
 * elsewhere would otherwise put people of another OU (or company) on this location's kiosk; the
 * read is refused instead of filtered, because a server that answers the wrong question cannot be
 * trusted to have answered the right one completely.
 * @param base the search base as configured
 * @param scope the search's scope
 * @param where `location "x": search of <base> on <url>`, for messages
 * @returns a function that throws LDAP_SERVER_BUG for an entry DN outside the search
 */
export function inBaseCheck(base: string, scope: SearchScope | 'base', where: string): (dn: string) => void {
  const parsedBase = parseDn(base);
  // A base the DN parser does not read (AD's <GUID=…> or <SID=…> forms) cannot be compared.
  if (parsedBase === undefined) return () => undefined;
  return (dn) => {
    const parsed = parseDn(dn);
    if (parsed !== undefined && inScope(parsed, parsedBase, scope)) return;
    const place =
      parsed === undefined
        ? 'whose DN is not a valid DN'
        : scope === 'base'
          ? 'other than the base'
          : `outside the base (scope ${scope})`;
    throw new DirectoryError(
      'LDAP_SERVER_BUG',
      `${where} failed: the server returned the entry ${serverExcerpt(dn, 300)}, ${place}`,
      {
        hint: 'Nothing was written. The server (often a proxy or virtual directory in front of the real one) answers with entries the search did not ask for; search the directory server itself, or have the proxy fixed.',
      },
    );
  };
}
