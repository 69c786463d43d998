import { emailKey } from '../mapping/cells.js';
import type { ColumnSet } from '../mapping/columns.js';
import type { LineBuffer } from '../io/line-buffer.js';
import { displayName } from '../plan/identity.js';
import { U32List } from '../plan/previous-index.js';
import { hash32, HashIndex } from '../util/hash-index.js';
import { quoteValue } from '../util/quote-value.js';
import { readParked } from './settle-location.js';
import type { ExportWarning } from './types.js';

/**
 * The same email on rows of two different directory entries in different locations. Emails are
 * unique per location only, so nothing else notices; but the vendor matches contacts by email and
 * may merge the two people into one. (The same person in two locations, one entry found by two
 * searches, is normal and says nothing; so is an `extraContacts:` row, which has no identity to
 * tell whether it is a directory person listed at another site, a visitor, say.) Keeps a 64-bit
 * hash of each email with the number of the first row that sent it, and 32 bits per row naming
 * the entry (a hash of its DN); the warnings' names are read back from the locations' parked rows
 * at the end.
 */
export class EmailAcrossLocations {
  private readonly owners = new HashIndex();
  /** Per row (all locations, in settling order): a hash of who it is; 0 for a row not sent. */
  private readonly who = new U32List();
  /** Each location: slug, its first row's number, its parked rows. */
  private readonly locations: { slug: string; first: number; file: LineBuffer }[] = [];
  /** Rows (first, later) with the same email and different people. */
  private readonly clashes: [number, number, string][] = [];

  /**
   * @param layout the column layout (the email column; names in warnings)
   */
  public constructor(private readonly layout: ColumnSet) {}

  /**
   * Start a location.
   * @param slug the location
   * @param file its parked rows, numbered as {@link note} sees them
   */
  public begin(slug: string, file: LineBuffer): void {
    this.locations.push({ slug, first: this.who.length, file });
  }

  /**
   * The location's next parked row.
   * @param cells its cells, or undefined when it is not sent
   * @param dn its DN
   * @param extra whether it comes from an `extraContacts:` file (not compared)
   */
  public note(cells: readonly string[] | undefined, dn: string, extra: boolean): void {
    const g = this.who.length;
    const email = cells === undefined ? '' : emailKey(cells[this.layout.roles.email ?? -1] ?? '');
    if (cells === undefined || email === '' || extra) {
      this.who.push(0);
      return;
    }
    const person = hash32(dn.toLowerCase()) || 1;
    this.who.push(person);
    const first = this.owners.add(email, g);
    if (first !== undefined && this.who.data[first] !== person) this.clashes.push([first, g, email]);
  }

  /** The warnings, one per clash, on the later row. */
  public async warnings(): Promise<ExportWarning[]> {
    if (this.clashes.length === 0) return [];
    const wanted = new Set(this.clashes.flatMap(([a, b]) => [a, b]));
    const found = new Map<number, { slug: string; name: string; dn: string }>();
    for (const [i, location] of this.locations.entries()) {
      const end = this.locations[i + 1]?.first ?? this.who.length;
      const here = new Set(
        [...wanted].filter((g) => g >= location.first && g < end).map((g) => g - location.first),
      );
      for (const [n, row] of await readParked(location.file, here))
        found.set(location.first + n, {
          slug: location.slug,
          name: displayName(this.layout, row.cells),
          dn: row.dn,
        });
    }
    return this.clashes.map(([a, b, email]) => {
      const first = found.get(a);
      const later = found.get(b);
      const where = (slug: string | undefined): string => (slug ? `location ${slug}` : 'all locations');
      return {
        dn: later?.dn ?? '',
        location: later?.slug ?? '',
        message: `${later?.name ?? '?'} (${later?.dn ?? '?'}) in ${where(later?.slug)} has the same email ${quoteValue(email)} as ${first?.name ?? '?'} (${first?.dn ?? '?'}) in ${where(first?.slug)}: the vendor matches contacts by email and may merge the two people into one; fix the value in the directory`,
      };
    });
  }
}
