import type { ConnectionInfo } from '../directory/types.js';

/** Progress reported while exporting, for spinners and `--verbose`. */
export type ExportEvent =
  | { type: 'connected'; connection: ConnectionInfo }
  | { type: 'search'; location: string; base: string; filter: string }
  | { type: 'entries'; total: number }
  | { type: 'reference'; uri: string };

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
}

/** A row of the export, as the sink receives it. */
export interface ExportRow {
  /** Cells in column order. */
  cells: string[];
  /** Location slug ('' = all locations). */
  location: string;
  /** The entry's DN. */
  dn: string;
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
}

/** The outcome of one location. */
export interface LocationOutput {
  /** Slug ('' = all locations). */
  slug: string;
  /** Valid rows sent to the sink. */
  rows: number;
  /** Rejected rows, in output order. */
  rejected: RejectedRow[];
}

/** Everything read and mapped; the rows themselves went to the sink. */
export interface ExportResult {
  /** Which server answered. */
  connection: ConnectionInfo;
  /** Header row. */
  headers: string[];
  /** Locations in output order. */
  locations: LocationOutput[];
  /** Warnings. */
  warnings: ExportWarning[];
  /** Directory entries read (an entry matched by two searches counts twice). */
  entriesRead: number;
  /** Search continuation references seen and ignored. */
  references: string[];
  /** Entries returned by each search, keyed by location, base and groups (for the guards). */
  searches: Record<string, number>;
}
