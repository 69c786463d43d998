import { BASE64, ldifError, splitLine } from './lines.js';

/**
 * Whether an LDIF file ends where its writer ended it. A file cut short (a copy or transfer that
 * stopped, a full disk, an export killed mid-way) is otherwise read as a smaller directory, and
 * the people after the cut would be archived at the vendor.
 *
 * The rule, sound for hand-written files that lack the final line break or blank line:
 * - A plain `ldapsearch` output (first line `# extended LDIF`, then its `# requesting:` header)
 *   ends with its `result:` trailer after the last entry; without it, the output was cut. Paged
 *   (`-E pr=…`), each page has a trailer: the last one says so with an empty
 *   `pagedresults: cookie=` line (whole, with its line break), or `# numResponses:` follows it
 *   (written after the last page only).
 * - Each `# numEntries: N` comment (ldapsearch's count, in any file) matches the records since
 *   the previous one.
 * - When the file ends inside a record (no blank line after its last line), that last line must
 *   be whole: not a `dn:` line alone, not a base64 value of a length no writer leaves (every one
 *   pads to a multiple of 4), and, when not even a line break ends it, neither a folded value's
 *   continuation (writers that fold end their lines) nor an attribute without its value.
 */

const CUT_HINT =
  'The file looks cut short (an interrupted copy or export, a full disk). Nothing was written; export the directory again and check that the file is complete.';

const COLON = 0x3a;
const NUM_ENTRIES = /^#\s*numEntries:\s*(\d+)\s*$/;

/** The file's last logical line, as the parser holds it when the file ends. */
export interface LastLine {
  /** The physical lines it was folded into (continuation lines without their leading space). */
  parts: readonly Buffer[];
  /** The line number of its first physical line. */
  line: number;
  /** The line number of the file's last line. */
  lastLine: number;
  /** No line break after it: the file ends in the middle of a line. */
  unterminated: boolean;
  /** Whether it is inside a record (a `dn:` line opened one). */
  inRecord: boolean;
  /** Whether it is in ldapsearch's trailer (`search:`, `result:`), which is no record. */
  inTrailer: boolean;
}

/** What one file's comments and records say about its end; fed by the parser as it reads. */
export class ExportEnd {
  private plainLdapsearch = false;
  /** `-E pr=…`: every page has its trailer, and only the last one's says no page follows. */
  private pagedOutput = false;
  private records = 0;
  private sinceCount = 0;
  private resultAfterLast = false;
  /** A paged ldapsearch's last trailer did not say it was the last page. */
  private pageDue = false;
  /** The file ends inside a paged trailer's line: it may have lost the next page's cookie. */
  private trailerCut = false;

  /**
   * @param file the file, for messages
   */
  public constructor(private readonly file: string) {}

  /**
   * A comment line: ldapsearch's header, or its `# numEntries:` count.
   * @param bytes the line, from its `#`
   * @param line its line number
   */
  public comment(bytes: Buffer, line: number): void {
    const text = bytes.toString('utf8').trimEnd();
    // Only ldapsearch writes this first line (its `# requesting:` header follows, unless cut).
    if (line === 1 && text === '# extended LDIF') this.plainLdapsearch = true;
    else if (this.plainLdapsearch && this.records === 0 && text.startsWith('# with pagedResults control'))
      this.pagedOutput = true;
    const paged = /^#\s*pagedresults:(.*)$/i.exec(text)?.[1];
    if (paged !== undefined) this.pagedCookie(paged);
    // Written once, after the last page: whatever the pages' trailers said, none follows.
    if (text.startsWith('# numResponses:')) this.pageDue = false;
    const counted = NUM_ENTRIES.exec(text)?.[1];
    if (counted === undefined) return;
    if (Number(counted) !== this.sinceCount) {
      throw ldifError(
        this.file,
        line,
        `ldapsearch counted ${counted} entries ("${text}") but the file holds ${this.sinceCount} records${this.records > this.sinceCount ? ' since its previous count' : ''}: records are missing or were added`,
        CUT_HINT,
      );
    }
    this.sinceCount = 0;
  }

  /** A record started (its `dn:` line). */
  public record(): void {
    this.records++;
    this.sinceCount++;
    this.resultAfterLast = false;
    this.pageDue = false;
  }

  /**
   * A line of ldapsearch's trailer, after the entries of a search or of one page: a successful
   * `result:` ends them; paged, only a page whose `pagedresults: cookie=` is empty is the last.
   * @param name the line's attribute name, lower case
   * @param value its value
   */
  public trailer(name: string, value: Buffer): void {
    if (name === 'result') {
      this.resultAfterLast = true;
      this.pageDue = this.pagedOutput;
    } else if (name === 'pagedresults') this.pagedCookie(value.toString('utf8'));
  }

  /** `cookie=…` of a paged ldapsearch's page: any cookie (or a cut line) means another page. */
  private pagedCookie(text: string): void {
    this.pageDue = !/^\s*cookie=\s*$/.test(text);
  }

  /**
   * The file has ended inside a logical line (no blank line after it): refuse it if that line
   * cannot be whole. Called before the line is read: that it is cut says more than what is
   * wrong with it.
   * @param last the file's last logical line
   */
  public lastLine(last: LastLine): void {
    if (!last.inTrailer) checkLastLine(this.file, last);
    else if (last.unterminated && this.pagedOutput) this.trailerCut = true;
  }

  /**
   * The file has ended and every line is read: refuse an ldapsearch output without its end.
   * @param lastLine the line number of the file's last line
   */
  public end(lastLine: number): void {
    if (!this.plainLdapsearch) return;
    if (!this.resultAfterLast || this.pageDue || this.trailerCut) {
      throw ldifError(
        this.file,
        lastLine,
        this.resultAfterLast
          ? 'the paged ldapsearch output ends after a page that was not the last (its trailer has no empty "pagedresults: cookie="), without the pages after it: it was cut off'
          : 'the ldapsearch output ends without its "# search result" and "result:" lines after the last entry: it was cut off',
        CUT_HINT,
      );
    }
  }
}

/** Refuse the file's last logical line if it cannot be whole. */
function checkLastLine(file: string, last: LastLine): void {
  const bytes = last.parts.length === 1 ? (last.parts[0] ?? Buffer.alloc(0)) : Buffer.concat([...last.parts]);
  const cut = (what: string): never => {
    throw ldifError(file, last.lastLine, `the file ends ${what}: the last record is cut off`, CUT_HINT);
  };
  if (last.unterminated && !bytes.includes(COLON)) cut('in the middle of a line, before its ":"');
  const split = splitLine(bytes, last.line, file);
  if (!last.inRecord && split.description.toLowerCase() === 'dn')
    cut(`after the "dn:" line of line ${last.line}, without the record's attributes or a blank line`);
  const value = split.value.toString('latin1').trim();
  if (split.kind === 'base64' && value.length % 4 !== 0 && BASE64.test(value))
    cut(
      `in the base64 value of ${split.description} (line ${last.line}), which is not padded to its full length`,
    );
  if (!last.unterminated) return;
  if (last.parts.length > 1)
    cut(`without a line break in a continuation line of ${split.description} (line ${last.line})`);
  if (value === '') cut(`right after "${split.description}:", without its value or a line break`);
}
