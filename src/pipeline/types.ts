import type { ConnectionInfo } from '../directory/types.js';

/** Progress reported while exporting, for spinners and `--verbose`. */
export type ExportEvent =
  | { type: 'connected'; connection: ConnectionInfo }
  | { type: 'search'; location: string; base: string; filter: string }
  | { type: 'entries'; total: number }
  | { type: 'reference'; uri: string }
  | { type: 'schema'; note: string };

/** A warning about one contact (or the run), shown and put in the report. */
export interface ExportWarning {
  /** What it is about. */
  message: string;
  /** The entry's DN, when about an entry. */
  dn?: string;
  /** The location, when about a row. */
  location?: string;
}

/** A row that will not be sent, with every reason. */
export interface RejectedRow {
  /** The mapped cells. */
  cells: string[];
  /** The entry's DN. */
  dn: string;
  /** Location slug. */
  location: string;
  /** Why. */
  reasons: string[];
  /** Rejected because another row keeps its only key (a value both hold): see validation/duplicates. */
  duplicate?: boolean;
  /**
   * A duplicate whose only key nobody kept by having held it in the last push: if it was pushed
   * then, another person's row, not its own edit, would archive it (a guard stops that).
   */
  displaced?: boolean;
  /** The entry's directory identity, for a duplicate: tells the plan which contact it was. */
  id?: string;
  /** For a duplicate from an `extraContacts:` file: its "FILE line N" (also its `dn`). */
  source?: string;
}

/** A row of the export, as the sink receives it. */
export interface ExportRow {
  /** Cells in column order. */
  cells: string[];
  /** Location slug ('' = all locations). */
  location: string;
  /** The entry's DN. */
  dn: string;
  /** For a row of an `extraContacts:` file: where it is ("FILE line N", also its `dn`). */
  source?: string;
  /** The entry's directory identity (objectGUID, entryUUID), when it has one: tells renames. */
  id?: string;
}

/**
 * Where the rows go, one at a time, in output order: locations by slug, rows by last name,
 * first name, identification and DN. Nothing holds the whole export in memory.
 */
export interface ExportSink {
  /**
   * A valid row (after the duplicate and one-site-per-email rules).
   * @param row the row
   */
  row(row: ExportRow): Promise<void> | void;
  /**
   * A rejected row, each once, after every valid row: locations in output order, each
   * location's rejects in the order found (read back from disk: they are never all in memory).
   * @param row the row
   */
  rejected?(row: RejectedRow): Promise<void> | void;
}

/**
 * Told what becomes of the rows of a few entries (`adsync explain`); every other row passes
 * unseen. Valid rows reach the sink and rejected ones the result, as always: this tells the two
 * fates the result only has as text.
 */
export interface ExportWatch {
  /**
   * Whether an entry's rows are watched.
   * @param dn the entry's DN as the directory gave it
   */
  wants(dn: string): boolean;
  /**
   * A watched row is rejected because another row of its location keeps a unique value of it
   * that was its only key.
   * @param row the row
   * @param values each shared column, its value as compared, and the DN of the row that keeps it
   *   (when nobody does, of another row holding it)
   */
  duplicate(row: ExportRow, values: { column: string; value: string; owner: string }[]): void;
  /**
   * A watched row is left out by iLobby's one-site-per-email rule.
   * @param row the row
   * @param keptBy the location that sends the email
   */
  oneSite(row: ExportRow, keptBy: string): void;
}

/** The outcome of one location. */
export interface LocationOutput {
  /** Slug ('' = all locations). */
  slug: string;
  /** Valid rows sent to the sink. */
  rows: number;
  /** Of those, rows from `extraContacts:` files. */
  extraContacts: number;
  /** Rejected rows (every one went to the sink's `rejected`). */
  rejected: number;
  /** The first rejected rows, in the order found (at most REJECT_SAMPLE). */
  rejectedSample: RejectedRow[];
}

/** Everything read and mapped; the rows themselves went to the sink. */
export interface ExportResult {
  /** Which server answered. */
  connection: ConnectionInfo;
  /** Header row. */
  headers: string[];
  /** Locations in output order. */
  locations: LocationOutput[];
  /**
   * Rejected rows that name no configured location (an `extraContacts:` row with a mistyped
   * slug): in the rejects file and the totals, but no location's rejects.
   */
  noLocation: Pick<LocationOutput, 'rejected' | 'rejectedSample'>;
  /** Warnings (of those about single rows, the first ROW_WARNING_SAMPLE). */
  warnings: ExportWarning[];
  /** Warnings about single rows counted and not kept (beyond the sample). */
  warningsOmitted: number;
  /** Directory entries read (an entry matched by two searches counts twice). */
  entriesRead: number;
  /** Search continuation references seen and ignored. */
  references: string[];
  /** Entries returned by each search, keyed by location, base and groups (for the guards). */
  searches: Record<string, number>;
}
