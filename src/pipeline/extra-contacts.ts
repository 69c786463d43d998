import { basename } from 'node:path';

import type { CountryCode } from 'libphonenumber-js';

import type { ResolvedConfig } from '../config/types.js';
import { EXTRA_CONTACTS, eachContact } from '../csv/contacts-file.js';
import { ConfigError } from '../errors.js';
import { cleanCells, type CellIssue, type ColumnSet } from '../mapping/columns.js';
import { emailKey } from '../mapping/cells.js';
import { applyFormat } from '../mapping/formats.js';
import { PHONE_FORMATS } from '../mapping/types.js';
import { displayName } from '../plan/identity.js';
import { quoteValue } from '../util/quote-value.js';
import { suggest } from '../util/suggest.js';
import { validateRow } from '../validation/validate.js';
import type { ExportWarning, ExportWatch, RejectedRow } from './types.js';

/** What extra rows are added to: a location being read (read.ts's Bucket). */
export interface ExtraTarget {
  sorter: { add(cells: string[], dn: string): Promise<void> | void };
  extras?: Set<string>;
}

/** A valid row of an `extraContacts:` file. */
interface ExtraRow {
  cells: string[];
  /** Where it comes from, in place of a DN: "contractors.csv line 4". */
  source: string;
  slug: string;
}

/** The directory row that holds a unique value of an extra row. */
interface Shadow {
  dn: string;
  header: string;
  value: string;
  location: string;
}

/**
 * The contacts of the `extraContacts:` files (people the directory does not hold: contractors,
 * a front desk), merged into the locations their location column names. Each row is validated
 * like a directory row; its source ("FILE line N") stands in for a DN in rejects, warnings and
 * the plan. Within a location, an extra row and a directory row holding the same unique value
 * are settled like any two rows (validation/duplicates.ts: the one that held it in the last push
 * keeps it), so an edit in the directory cannot take a file's contact off the kiosk. Across
 * locations (iLobby, which matches by email across sites) the directory's row wins: while the
 * directory is read each row is looked up among the extras' emails (extras are few, so they are
 * indexed, not the directory), and the extras it shadows in other locations are dropped with a
 * warning naming both.
 */
export class ExtraContacts {
  private readonly rows: ExtraRow[] = [];
  /** The valid rows' warnings (a phone number left empty, a formula-like cell). */
  private readonly warnings: ExportWarning[] = [];
  /** Unique value (scope, column, value) → the extra rows holding it. */
  private readonly index = new Map<string, number[]>();
  private readonly shadows = new Map<number, Shadow>();
  private readonly unique: { column: number; header: string; email: boolean }[];

  private constructor(
    private readonly layout: ColumnSet,
    /** Unique values are compared across locations (iLobby) rather than within one. */
    private readonly global: boolean,
  ) {
    this.unique = layout.columns.flatMap((c, column) =>
      c.unique ? [{ column, header: c.header, email: c.role === 'email' }] : [],
    );
  }

  /**
   * Read and validate every `extraContacts:` file, before the directory is opened: a file that is
   * missing or has the wrong header stops the run before anything is read. Rejected rows are not
   * kept: each is handed on as it is found (a 10 MB file can hold most of a million of them).
   * @param config the resolved config
   * @param onReject told each rejected row and the location whose rejects it joins (`null` for a
   *   row naming no configured location: counting it as another location's reject would blame
   *   that location, and could stop its push for a mistake in a file)
   * @returns undefined when the config names no file
   * @throws {ConfigError} CONFIG_EXTRA_CONTACTS for a file that cannot be used
   */
  public static async load(
    config: ResolvedConfig,
    onReject: (slug: string | null, row: RejectedRow) => Promise<void> | void,
  ): Promise<ExtraContacts | undefined> {
    const { files, slugs } = config.extraContacts;
    if (files.length === 0) return undefined;
    const layout = config.layout;
    const extras = new ExtraContacts(layout, layout.rules.oneSitePerEmail);
    const fixed = fixedLocation(layout, slugs);
    const reading = new Set(config.locations.map((l) => l.slug));
    const names = files.map((f) => basename(f));
    for (const path of files) {
      // Two files of the same name in different folders are told apart by their paths.
      const name =
        names.indexOf(basename(path)) === names.lastIndexOf(basename(path)) ? basename(path) : path;
      await eachContact(path, layout.headers, EXTRA_CONTACTS, async (row) => {
        const source = `${name} line ${row.line}`;
        const slug = fixed ?? row.cells[layout.locationIndex ?? 0] ?? '';
        const reasons =
          row.cellCount === undefined
            ? []
            : [`the line has ${row.cellCount} fields, the header ${layout.headers.length}`];
        const known = slugs.includes(slug);
        if (!known) reasons.push(unknownLocation(layout, slug, slugs));
        // A read of some locations only (check, after one failed) leaves the others' rows out.
        else if (!reading.has(slug)) return;
        const issues = readPhones(layout, row.cells, config.phone.defaultCountry);
        cleanCells(layout, row.cells, issues);
        const verdict = validateRow(layout, { cells: row.cells, issues });
        const inFile = (r: string): string =>
          r.replace('fix the value in the directory', `fix it in ${name}`);
        reasons.push(...verdict.reasons.map(inFile));
        if (reasons.length > 0) {
          await onReject(known ? slug : null, {
            cells: row.cells,
            dn: source,
            location: slug,
            reasons,
          });
          return;
        }
        for (const message of verdict.warnings)
          extras.warnings.push({ dn: source, location: slug, message: inFile(message) });
        extras.add({ cells: row.cells, source, slug });
      });
    }
    return extras;
  }

  /**
   * Every valid row of the files, in file order (what `adsync explain` looks in, with the
   * rejected rows it was told of).
   * @returns each row's source ("FILE line N"), location slug as written, and cells
   */
  public listed(): { source: string; slug: string; cells: string[] }[] {
    return this.rows.map((r) => ({ source: r.source, slug: r.slug, cells: r.cells }));
  }

  private key(slug: string, column: number, value: string): string {
    return `${this.global ? '' : slug}\u001f${column}\u001f${value}`;
  }

  private add(row: ExtraRow): void {
    const n = this.rows.length;
    this.rows.push(row);
    // Only iLobby's cross-location shadowing looks values up (see noteDirectoryRow).
    if (!this.global) return;
    for (const u of this.unique) {
      const raw = row.cells[u.column] ?? '';
      if (raw === '') continue;
      const key = this.key(row.slug, u.column, u.email ? emailKey(raw) : raw);
      const list = this.index.get(key);
      if (list) list.push(n);
      else this.index.set(key, [n]);
    }
  }

  /**
   * A valid directory row: the extra rows of other locations holding its email (iLobby) are
   * shadowed.
   * @param slug its location
   * @param cells its cells
   * @param dn its DN
   */
  public noteDirectoryRow(slug: string, cells: readonly string[], dn: string): void {
    if (this.index.size === 0 || !this.global) return;
    for (const u of this.unique) {
      const raw = cells[u.column] ?? '';
      if (raw === '') continue;
      const value = u.email ? emailKey(raw) : raw;
      for (const n of this.index.get(this.key(slug, u.column, value)) ?? []) {
        // In its own location the duplicate rule settles it, by who held the value last time.
        if (this.rows[n]?.slug === slug) continue;
        if (!this.shadows.has(n)) this.shadows.set(n, { dn, header: u.header, value, location: slug });
      }
    }
  }

  /**
   * After the directory is read: each valid extra row not shadowed joins its location's rows.
   * @param buckets the locations as read
   * @param warnings receives a warning for each shadowed row
   * @param watch told of each watched row shadowed (a duplicate of the directory's row)
   */
  public async addTo(
    buckets: ReadonlyMap<string, ExtraTarget>,
    warnings: { add(...warnings: ExportWarning[]): void },
    watch?: ExportWatch,
  ): Promise<void> {
    warnings.add(...this.warnings.filter((w) => buckets.has(w.location ?? '')));
    for (const [n, row] of this.rows.entries()) {
      const shadow = this.shadows.get(n);
      if (shadow) {
        const where =
          shadow.location === row.slug ? '' : ` in location ${shadow.location || '(all locations)'}`;
        warnings.add({
          dn: row.source,
          location: row.slug,
          message: `${displayName(this.layout, row.cells)} is left out: ${shadow.dn}${where} has the same ${shadow.header} ${quoteValue(shadow.value)}, and the directory's row wins; remove the line from the file`,
        });
        if (watch?.wants(row.source) === true)
          watch.duplicate({ cells: row.cells, location: row.slug, dn: row.source, source: row.source }, [
            { column: shadow.header, value: shadow.value, owner: shadow.dn },
          ]);
        continue;
      }
      const bucket = buckets.get(row.slug);
      if (!bucket) continue;
      (bucket.extras ??= new Set()).add(row.source);
      await bucket.sorter.add(row.cells, row.source);
    }
  }
}

/**
 * Phone columns are read as phone numbers, as the directory's are (with `phone.defaultCountry`),
 * so `(416) 555-0101` in a file is the `+14165550101` a directory row holds: compared as the
 * same SMS Phone, and sent in the form the vendor dials. A cell that is no phone number is left
 * empty with a cell issue, which validation turns into a warning or, when it was the only way to
 * reach the contact, a reject.
 * @param layout the columns
 * @param cells the row, changed in place
 * @param defaultCountry country for national numbers
 */
function readPhones(
  layout: ColumnSet,
  cells: string[],
  defaultCountry: CountryCode | undefined,
): CellIssue[] {
  const issues: CellIssue[] = [];
  for (const [column, c] of layout.columns.entries()) {
    const raw = cells[column] ?? '';
    // The column's formats from its phone format on: the same final form as the directory's.
    const from = c.formats.findIndex((f) => PHONE_FORMATS.includes(f));
    if (raw === '' || from < 0) continue;
    let value = raw;
    for (const format of c.formats.slice(from)) {
      const out = applyFormat(format, value, { defaultCountry });
      if (!out.ok) {
        issues.push({ column, kind: out.problem, raw });
        value = '';
        break;
      }
      value = out.value;
    }
    cells[column] = value;
  }
  return issues;
}

/**
 * The location of every row when the layout has no location column (a custom profile without
 * locationColumn): the one configured location.
 * @throws {ConfigError} when there are several: nothing in a row says which it belongs to
 */
function fixedLocation(layout: ColumnSet, slugs: readonly string[]): string | undefined {
  if (layout.locationIndex !== undefined) return undefined;
  if (slugs.length === 1) return slugs[0];
  throw new ConfigError(
    'CONFIG_EXTRA_CONTACTS',
    `extraContacts: the layout has no location column, so a row cannot say which of the ${slugs.length} locations it belongs to`,
    { hint: 'set target.locationColumn (custom profile), or use extraContacts with a single location' },
  );
}

function unknownLocation(layout: ColumnSet, slug: string, slugs: readonly string[]): string {
  const header = layout.headers[layout.locationIndex ?? 0] ?? 'location';
  const known = slugs.map((s) => (s === '' ? '(empty: all locations)' : s)).join(', ');
  const near =
    slug === ''
      ? undefined
      : suggest(
          slug,
          slugs.filter((s) => s !== ''),
        );
  return slug === ''
    ? `${header} is empty, and no location without a slug is configured; write one of: ${known}`
    : `${header} ${quoteValue(slug)} is not a configured location${near ? ` (did you mean ${quoteValue(near)}?)` : ''}; write one of: ${known}`;
}
