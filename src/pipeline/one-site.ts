import { fileLines } from '../io/file-lines.js';
import { HashIndex } from '../util/hash-index.js';
import type { ExportWarning } from './types.js';

/**
 * iLobby matches contacts by email and holds one site per contact: each email stays in the first
 * location (in config order) that has it, and a warning names the others. Keeps a compact hash
 * of each email and the number of the row that kept it; the warnings' DNs and emails are read
 * back from each location's list of kept rows at the end.
 */
export class OneSitePerEmail {
  private readonly owners = new HashIndex();
  /** Kept rows so far, over all locations. */
  private kept = 0;
  /** Kept row number → the other locations that have the email. */
  private readonly others = new Map<number, string[]>();
  /** Per location settled so far: slug, first kept row number, its kept-rows file. */
  private readonly locations: { slug: string; first: number; file: string }[] = [];

  /**
   * @param emailColumn the column of the email
   */
  public constructor(private readonly emailColumn: number) {}

  /**
   * The email of a row, as compared.
   * @param cells the row
   */
  public emailOf(cells: readonly string[]): string {
    return (cells[this.emailColumn] ?? '').toLowerCase();
  }

  /**
   * Start a location; its kept rows are listed in `file` as [dn, email] lines.
   * @param slug the location
   * @param file the list of its kept rows
   */
  public begin(slug: string, file: string): void {
    this.locations.push({ slug, first: this.kept, file });
  }

  /**
   * @param cells the row
   * @param slug its location
   * @returns true when the row keeps its email here; false when an earlier location has it
   */
  public claim(cells: readonly string[], slug: string): boolean {
    const owner = this.owners.add(this.emailOf(cells), this.kept);
    if (owner === undefined) {
      this.kept++;
      return true;
    }
    const list = this.others.get(owner);
    if (list) list.push(slug);
    else this.others.set(owner, [slug]);
    return false;
  }

  /**
   * The location that kept a row's email, once {@link claim} has said it is taken.
   * @param cells the row
   */
  public keeperOf(cells: readonly string[]): string {
    const n = this.owners.get(this.emailOf(cells));
    let slug = '';
    // The last location started at or before the kept row (one that kept nothing is passed).
    for (const location of this.locations) if (n !== undefined && location.first <= n) slug = location.slug;
    return slug;
  }

  /** The warnings, in the order the emails were first kept. */
  public async warnings(): Promise<ExportWarning[]> {
    const out: ExportWarning[] = [];
    if (this.others.size === 0) return out;
    const wanted = [...this.others.keys()].sort((a, b) => a - b);
    let next = 0;
    for (const [i, location] of this.locations.entries()) {
      const end = this.locations[i + 1]?.first ?? this.kept;
      let n = location.first;
      if ((wanted[next] ?? Infinity) >= end) continue;
      for await (const line of fileLines(location.file)) {
        const target = wanted[next];
        if (target === undefined || target >= end) break;
        if (n === target) {
          const [dn, email] = JSON.parse(line) as [string, string];
          const others = this.others.get(n) ?? [];
          out.push({
            dn,
            message: `${email} matches locations ${[location.slug, ...others].join(', ')}; iLobby holds one site per contact, so it is sent for ${location.slug} only (the first in config order)`,
            location: location.slug,
          });
          next++;
        }
        n++;
      }
    }
    return out;
  }
}
