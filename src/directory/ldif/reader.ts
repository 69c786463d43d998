import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';

import { DirectoryError, describeError } from '../../errors.js';
import { ExportEnd } from './export-end.js';
import {
  DESCRIPTION,
  FORMAT_HINT,
  MAX_VALUE_FILE_BYTES,
  decodeValue,
  ldifError,
  splitLine,
} from './lines.js';

/** One attribute of an LDIF record: its description as written and its values as bytes. */
export interface LdifAttribute {
  /** Attribute description as written, e.g. `cn` or `cn;lang-fr`. */
  description: string;
  /** Values as bytes (plain values are the file's bytes, base64 values decoded). */
  values: Buffer[];
}

/** One content record (an entry) of an LDIF file. */
export interface LdifRecord {
  /** The DN as written (base64 decoded). */
  dn: string;
  /** Line number of the `dn:` line, for messages. */
  line: number;
  /** Attributes by lower-case description (with options, e.g. `cn;lang-fr`). */
  attributes: Map<string, LdifAttribute>;
}

/** Options for {@link readLdif}. */
export interface ReadLdifOptions {
  /**
   * Which attributes to keep, by lower-case name without options; others are checked for syntax
   * but not decoded or stored (keeps a pass over a big file cheap). Undefined keeps all.
   */
  wanted?: ((name: string) => boolean) | undefined;
  /**
   * The one directory `attribute:< file://…` values may be read from (absolute). Undefined
   * refuses such lines: an export must not pull arbitrary files (a secret, /etc/shadow) into the
   * CSV, the state and the vendor's address book.
   */
  valueFiles?: string | undefined;
}

/** The largest value read, as for value files (`attribute:< file://…`). */
const MAX_VALUE_BYTES = MAX_VALUE_FILE_BYTES;
/**
 * The longest logical line: a value of {@link MAX_VALUE_BYTES} written in base64 (4 characters
 * for 3 bytes), with room for the attribute's name.
 */
const MAX_LINE_BYTES = Math.ceil(MAX_VALUE_BYTES / 3) * 4 + 1024;

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;

/**
 * The file's bytes as UTF-8 chunks: a UTF-8 byte order mark is dropped and UTF-16LE (what
 * `ldifde -u` writes) is transcoded, so the line splitter only ever sees UTF-8.
 */
async function* utf8Chunks(path: string, file: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  let first = true;
  let utf16: TextDecoder | undefined;
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      let chunk = raw;
      if (first) {
        first = false;
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
        else if (chunk[0] === 0xff && chunk[1] === 0xfe) {
          utf16 = new TextDecoder('utf-16le');
          chunk = chunk.subarray(2);
        } else if (chunk[0] === 0xfe && chunk[1] === 0xff) {
          throw ldifError(
            file,
            1,
            'the file is UTF-16 big-endian',
            'Save it as UTF-8 (or UTF-16LE, as ldifde -u writes it).',
          );
        }
      }
      yield utf16 ? Buffer.from(utf16.decode(chunk, { stream: true }), 'utf8') : chunk;
    }
    if (utf16) yield Buffer.from(utf16.decode(), 'utf8');
  } catch (error) {
    if (error instanceof DirectoryError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DirectoryError('LDAP_LDIF', `cannot read the LDIF file ${file}: ${describeError(error)}`, {
      hint:
        code === 'ENOENT'
          ? 'Check directory.file (relative paths are relative to the config file).'
          : 'Check that directory.file is a readable file.',
      cause: error,
    });
  } finally {
    stream.destroy();
  }
}

/**
 * The size of a line's value once decoded (base64: 3 bytes for 4 characters, padding aside); a
 * value file's size is checked when it is read.
 * @param split the line's parts
 */
function valueBytes(split: ReturnType<typeof splitLine>): number {
  if (split.kind === 'url') return 0;
  return split.kind === 'plain' ? split.value.length : Math.floor((split.value.length * 3) / 4);
}

const isBlank = (bytes: Buffer): boolean => bytes.every((b) => b === SPACE || b === 0x09);

/**
 * The LDIF grammar as a synchronous state machine fed chunk by chunk: physical lines (LF or
 * CRLF), logical lines (continuations joined, comments dropped), then records. Synchronous on
 * purpose: a generator per line would cost more than the parsing itself on a big export.
 */
class LdifParser {
  /** The pieces of an unfinished physical line, and their length. */
  private carry: Buffer[] = [];
  private carried = 0;
  private line = 0;
  /** The logical line being assembled from its physical lines. */
  private parts: Buffer[] = [];
  /** The length of {@link parts} (continuations without their space). */
  private partsBytes = 0;
  private partsLine = 0;
  private open = false;
  private comment = false;
  private record: LdifRecord | undefined;
  private seenRecord = false;
  private seenVersion = false;
  /** Inside ldapsearch's "search: / result:" trailer (plain `ldapsearch`, without -LLL). */
  private trailer = false;
  private out: LdifRecord[] = [];
  /** Whether the file ends where its writer ended it. */
  private readonly ends: ExportEnd;

  public constructor(
    private readonly path: string,
    private readonly file: string,
    private readonly wanted: ((name: string) => boolean) | undefined,
    private readonly valueFiles: string | undefined,
  ) {
    this.ends = new ExportEnd(file);
  }

  /** Feed a chunk; returns the records it completed. */
  public push(chunk: Buffer): LdifRecord[] {
    // Only the new chunk is searched for line feeds, and an unfinished line's pieces are joined
    // once, when its end arrives: joining them chunk by chunk made a long line quadratic.
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(LF, start);
      if (end < 0) break;
      let bytes = chunk.subarray(start, end);
      if (this.carry.length > 0) {
        this.carry.push(bytes);
        bytes = Buffer.concat(this.carry);
        this.carry = [];
        this.carried = 0;
      }
      const stop = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
      this.physical(bytes.subarray(0, stop), ++this.line);
      start = end + 1;
    }
    if (start < chunk.length) {
      // Copy the partial line so the big chunk it came from can be freed.
      const rest = Buffer.from(chunk.subarray(start));
      this.carry.push(rest);
      this.carried += rest.length;
      this.checkCarried();
    }
    return this.out.splice(0);
  }

  /**
   * Refuse a line growing past the value cap before it is all in memory: a 500 MB line would
   * otherwise be held (and joined) whole.
   */
  private checkCarried(): void {
    const first = this.carry[0];
    if (first === undefined) return;
    const continuation = first[0] === SPACE && this.open && !this.comment;
    const size = continuation ? this.partsBytes + this.carried - 1 : this.carried;
    if (size <= MAX_LINE_BYTES) return;
    this.refuseLong(continuation ? this.partsLine : this.line + 1, continuation ? this.parts[0] : first);
  }

  /**
   * The error for a value over {@link MAX_VALUE_BYTES}, naming its attribute and line.
   * @param line the line its attribute starts on
   * @param head the start of that line, for the attribute's name
   */
  private refuseLong(line: number, head: Buffer | undefined): never {
    const colon = head ? head.indexOf(COLON) : -1;
    const name = head && colon > 0 && colon <= 100 ? head.subarray(0, colon).toString('latin1') : '';
    const what = DESCRIPTION.test(name) ? `the value of ${name}` : 'a line';
    throw ldifError(
      this.file,
      line,
      `${what} is over ${MAX_VALUE_BYTES / 1024 / 1024} MB (continuation lines included)`,
      `adsync reads values of at most ${MAX_VALUE_BYTES / 1024 / 1024} MB (as it does value files): no directory value a visitor system needs is that large. Export without this attribute (list the attributes to export, e.g. ldapsearch … cn mail, or ldifde -l), or check that the file is an LDIF export.`,
    );
  }

  /** The end of the file; returns the last records. */
  public end(): LdifRecord[] {
    const carry = this.carry.length > 0 ? Buffer.concat(this.carry) : undefined;
    this.carry = [];
    this.carried = 0;
    const unterminated = carry !== undefined && carry.length > 0;
    if (carry && unterminated) {
      const stop = carry[carry.length - 1] === CR ? carry.length - 1 : carry.length;
      this.physical(carry.subarray(0, stop), ++this.line);
    }
    if (this.open) {
      this.ends.lastLine({
        parts: this.parts,
        line: this.partsLine,
        lastLine: this.line,
        unterminated,
        inRecord: this.record !== undefined,
        inTrailer: this.trailer,
      });
    }
    this.flushLogical();
    this.ends.end(this.line);
    if (this.record) this.out.push(this.record);
    this.record = undefined;
    return this.out.splice(0);
  }

  private physical(bytes: Buffer, line: number): void {
    if (bytes.length > 0 && bytes[0] === SPACE && !isBlank(bytes)) {
      if (!this.open && !this.comment) {
        throw ldifError(
          this.file,
          line,
          'a continuation line (starting with a space) does not follow an attribute line',
          `${FORMAT_HINT} A line that starts with a space continues the line above it; remove the leading space or the blank line before it.`,
        );
      }
      if (!this.comment) {
        this.parts.push(bytes.subarray(1));
        this.partsBytes += bytes.length - 1;
        if (this.partsBytes > MAX_LINE_BYTES) this.refuseLong(this.partsLine, this.parts[0]);
      }
      return;
    }
    this.flushLogical();
    this.comment = false;
    // A line of only spaces or tabs is a separator with stray whitespace, not a continuation.
    if (bytes.length === 0 || isBlank(bytes)) {
      this.trailer = false;
      if (this.record) {
        this.seenRecord = true;
        this.out.push(this.record);
        this.record = undefined;
      }
      return;
    }
    if (bytes[0] === HASH) {
      this.comment = true;
      this.ends.comment(bytes, line);
      return;
    }
    if (bytes.length > MAX_LINE_BYTES) this.refuseLong(line, bytes);
    this.parts = [bytes];
    this.partsBytes = bytes.length;
    this.partsLine = line;
    this.open = true;
  }

  private flushLogical(): void {
    if (!this.open) return;
    const bytes = this.parts.length === 1 ? (this.parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.parts);
    this.parts = [];
    this.partsBytes = 0;
    this.open = false;
    this.logical(bytes, this.partsLine);
  }

  /**
   * ldapsearch ends its output with the search's result: an export that ended in an error (size
   * or time limit, lost connection) is incomplete, and must not be read as the whole directory.
   */
  private checkResult(name: string, value: Buffer, line: number): void {
    if (name !== 'result') return;
    const text = value.toString('utf8').trim();
    if (/^0(\s|$)/.test(text)) return;
    throw ldifError(
      this.file,
      line,
      `the export is incomplete: ldapsearch ended with "result: ${text}"`,
      'Export again until ldapsearch reports "result: 0 Success" (with paged results, e.g. -E pr=500/noprompt, when the server limits the size).',
    );
  }

  private logical(bytes: Buffer, line: number): void {
    const { file, path } = this;
    if (bytes.length === 1 && bytes[0] === 0x2d) {
      throw ldifError(
        file,
        line,
        'a "-" line belongs to a change record (changetype: modify)',
        `${FORMAT_HINT} Change files (for ldapmodify or ldifde -i) cannot be read as a directory.`,
      );
    }
    const split = splitLine(bytes, line, file);
    if (valueBytes(split) > MAX_VALUE_BYTES) this.refuseLong(line, bytes);
    const name = split.description.toLowerCase();
    const record = this.record;
    if (!record && (this.trailer || name === 'search')) {
      this.trailer = true;
      this.checkResult(name, split.value, line);
      this.ends.trailer(name, split.value);
      return;
    }
    if (!record) {
      if (name === 'version' && !this.seenRecord && !this.seenVersion) {
        this.seenVersion = true;
        if (split.value.toString('latin1').trim() !== '1') {
          throw ldifError(file, line, 'only LDIF version 1 is supported', FORMAT_HINT);
        }
        return;
      }
      if (name !== 'dn') {
        throw ldifError(
          file,
          line,
          `a record must start with "dn:", found "${split.description}:"`,
          `${FORMAT_HINT} Separate records with one blank line, and do not put blank lines inside a record.`,
        );
      }
      const raw = decodeValue(split, line, file, path, this.valueFiles);
      if (!isUtf8(raw)) throw ldifError(file, line, 'the DN is not valid UTF-8', FORMAT_HINT);
      const dn = raw.toString('utf8');
      this.record = { dn, line, attributes: new Map() };
      this.ends.record();
      return;
    }
    if (name === 'changetype' && split.value.toString('latin1').trim().toLowerCase() === 'add') {
      // ldifde writes every exported entry as an add record: its attributes are the entry.
      return;
    }
    if (name === 'changetype' || name === 'control') {
      const what = name === 'control' ? 'control:' : `changetype: ${split.value.toString('utf8').trim()}`;
      throw ldifError(
        file,
        line,
        `change records are not supported (${what} in the record of ${record.dn})`,
        `${FORMAT_HINT} This looks like a change file (for ldapmodify or ldifde -i); export the directory's entries instead.`,
      );
    }
    if (name === 'dn') {
      throw ldifError(
        file,
        line,
        `a second "dn:" line inside the record of ${record.dn}`,
        `${FORMAT_HINT} Put a blank line between records.`,
      );
    }
    const semicolon = name.indexOf(';');
    const base = semicolon < 0 ? name : name.slice(0, semicolon);
    if (this.wanted && !this.wanted(base)) return;
    const value = decodeValue(split, line, file, path, this.valueFiles);
    const existing = record.attributes.get(name);
    if (existing) existing.values.push(value);
    else record.attributes.set(name, { description: split.description, values: [value] });
  }
}

/**
 * Stream the content records of an LDIF file (RFC 2849): comments, the `version:` line,
 * continuation lines, `attr: value`, `attr:: base64`, `attr:< file://…`, attribute options,
 * multi-valued attributes and `dn::`. Add records (`changetype: add`, which ldifde writes for every
 * exported entry) are read as entries; other change records are refused: the file must be an export.
 * Memory stays flat: the file is read in chunks and records are handed out as they complete.
 * A file that ends cut short (see {@link ExportEnd}) is refused, naming its last line.
 * @param path the file
 * @param file how to name it in messages
 * @param options which attributes to keep
 * @throws {DirectoryError} LDAP_LDIF with `file:line` for an unreadable file, a malformed line or
 *   a cut-off end
 */
export async function* readLdif(
  path: string,
  file: string,
  options: ReadLdifOptions = {},
): AsyncGenerator<LdifRecord> {
  const parser = new LdifParser(path, file, options.wanted, options.valueFiles);
  for await (const chunk of utf8Chunks(path, file)) yield* parser.push(chunk);
  yield* parser.end();
}
