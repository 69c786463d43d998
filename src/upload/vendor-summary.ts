import type { Dispatcher } from 'undici';

import { cleanServerText, cleanServerValue, serverExcerpt } from '../util/server-text.js';
import type { PlanCounts, VendorCounts } from '../errors.js';
import { readBody } from './content-encoding.js';
import { repeatedTopLevelKeys } from './json-keys.js';

/**
 * The vendor's answer, read in one place: the body of a response (JSON when it parses, else
 * text), the message of a refusal, and the import summary of an accepted upload
 * (`{created, updated, unchanged, archived, disabled, errors: [{row, message}]}`).
 */

/** Counts a vendor's import summary may carry, in display order. */
export const SUMMARY_COUNTS = ['created', 'updated', 'unchanged', 'archived', 'disabled'] as const;

/** One of {@link SUMMARY_COUNTS}. */
export type SummaryCount = (typeof SUMMARY_COUNTS)[number];

/** The keys of a summary adsync acts on: a count changes the verdict, `errors` the baseline. */
const READ_KEYS: ReadonlySet<string> = new Set([...SUMMARY_COUNTS, 'errors']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A number of contacts: whole and not negative (2.5, -3 or "12" are nobody's count). */
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** One row the vendor could not import, as it said it. */
export interface VendorRowError {
  /** CSV line number (the header is line 1), when the vendor gave one. */
  row: number | undefined;
  /** The vendor's message, when it gave one. */
  message: string | undefined;
  /** The entry as the vendor sent it. */
  entry: unknown;
}

/** A vendor's answer to an accepted upload. */
export type VendorSummary =
  | {
      kind: 'summary';
      /** The counts present in the answer. */
      counts: { name: (typeof SUMMARY_COUNTS)[number]; value: number }[];
      /** Rows not imported. */
      errors: VendorRowError[];
    }
  | {
      kind: 'text';
      /** The answer, as text. */
      text: string;
    };

/**
 * Parse the vendor's answer to an accepted upload.
 * @param summary the answer (parsed JSON, or text)
 */
export function parseVendorSummary(summary: unknown): VendorSummary {
  if (!summary || typeof summary !== 'object' || Array.isArray(summary)) {
    return { kind: 'text', text: typeof summary === 'string' ? summary : JSON.stringify(summary) };
  }
  const record = summary as Record<string, unknown>;
  const counts = SUMMARY_COUNTS.flatMap((name) => {
    const value = record[name];
    return typeof value === 'number' ? [{ name, value }] : [];
  });
  const entries = Array.isArray(record.errors) ? (record.errors as unknown[]) : [];
  const errors = entries.map((entry): VendorRowError => {
    const o = entry && typeof entry === 'object' ? (entry as { row?: unknown; message?: unknown }) : {};
    return {
      row: typeof o.row === 'number' ? o.row : undefined,
      message: typeof o.message === 'string' ? o.message : undefined,
      entry,
    };
  });
  return { kind: 'summary', counts, errors };
}

/**
 * The rows the vendor names as not imported (entries without a row number name no contact).
 * @param summary the answer (parsed JSON, or text)
 */
export function vendorRowErrors(summary: unknown): { row: number; message: string }[] {
  const parsed = parseVendorSummary(summary);
  if (parsed.kind === 'text') return [];
  return parsed.errors.flatMap((e) =>
    e.row === undefined ? [] : [{ row: e.row, message: e.message ?? 'rejected' }],
  );
}

/** The most of a response adsync reads: a vendor's answer is a summary, not a download. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** A response body as read: its parsed JSON (or text), cleaned, and whether it was cut short. */
export interface Answer {
  /** Parsed JSON, or the text when it is not JSON (cleaned of control characters). */
  body: unknown;
  /** The parsed JSON as sent, not cleaned: only for values used, never shown (a token). */
  raw: unknown;
  /** The body was longer than {@link MAX_ANSWER_BYTES} (decoded): only that much was read. */
  truncated: boolean;
  /** Bytes read (decoded). */
  bytes: number;
  /** Keys the top-level JSON object names more than once (JSON.parse kept the last of each). */
  repeated: string[];
  /** The Content-Encoding the server used anyway (adsync asks for identity), e.g. "gzip". */
  encoding?: string | undefined;
  /** Why an encoded body could not be decoded: it names the encoding. */
  undecodable?: string | undefined;
}

/**
 * Read a response body, at most {@link MAX_ANSWER_BYTES} of it once decoded (the rest is not
 * downloaded), and clean what the server wrote of control characters and escape sequences.
 * @param res the response
 */
export async function readAnswer(res: Dispatcher.ResponseData): Promise<Answer> {
  const { data, truncated, encoding, undecodable } = await readBody(res, MAX_ANSWER_BYTES);
  const text = data.toString('utf8');
  const bytes = data.length;
  if (undecodable !== undefined) {
    const what = `(an answer in ${undecodable})`;
    return { body: what, raw: what, truncated, bytes, repeated: [], encoding, undecodable };
  }
  if (!truncated) {
    try {
      const raw: unknown = JSON.parse(text);
      const repeated = isRecord(raw) ? repeatedTopLevelKeys(text) : [];
      return { body: cleanServerValue(raw), raw, truncated, bytes, repeated, encoding };
    } catch {
      // not JSON: text
    }
  }
  return { body: cleanServerText(text), raw: text, truncated, bytes, repeated: [], encoding };
}

/**
 * The message of a refusal (OAuth2 `error`/`error_description`, or `message`), short.
 * @param body the answer (parsed JSON, or text)
 */
export function answerMessage(body: unknown): string {
  if (typeof body === 'string') return serverExcerpt(body) || '(empty answer)';
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const parts = [o.error, o.error_description, o.message].filter((v): v is string => typeof v === 'string');
    if (parts.length > 0) return serverExcerpt(parts.join(': '));
  }
  return body === undefined ? '' : serverExcerpt(JSON.stringify(body));
}

/**
 * Whether an accepted upload's answer is an import result adsync recognises: the vendor's JSON
 * summary (an object with at least one import count or an `errors` list), or, for a vendor
 * documented to answer nothing (`target.expectEmptyResponse`), an empty body. A login page or a
 * captive portal answering 200 is not one.
 * @param answer the answer as read
 * @param expectEmpty target.expectEmptyResponse
 */
export function recognisedImport(answer: Answer, expectEmpty: boolean): boolean {
  if (answer.truncated || summaryDoubt(answer) !== undefined) return false;
  if (expectEmpty) return answer.bytes === 0 || answer.body === '';
  const parsed = parseVendorSummary(answer.body);
  const record = answer.body as Record<string, unknown> | null;
  return parsed.kind === 'summary' && (parsed.counts.length > 0 || Array.isArray(record?.errors));
}

/**
 * Why an answer that looks like an import summary is no confirmation, if it is not: a count that
 * is not a whole number ≥ 0 (`-3`, `2.5`, `"12"`; `null` counts as absent), an `errors` that is
 * not a list, or a count or `errors` named twice (`{"archived":0,"archived":5000}`: JSON.parse
 * keeps 5000, another reader 0; which one the vendor meant nobody can tell, so neither is taken).
 * @param answer the answer as read
 */
export function summaryDoubt(answer: Answer): string | undefined {
  const twice = answer.repeated.filter((key) => READ_KEYS.has(key));
  if (twice.length > 0) return `it names ${twice.map((k) => `"${k}"`).join(' and ')} twice, with two values`;
  if (!isRecord(answer.body)) return undefined;
  for (const name of SUMMARY_COUNTS) {
    const value = answer.body[name];
    if (value !== undefined && value !== null && !isCount(value))
      return `"${name}" is ${serverExcerpt(typeof value === 'number' ? String(value) : JSON.stringify(value), 40)}, not a whole number of contacts`;
  }
  const errors = answer.body.errors;
  if (errors !== undefined && errors !== null && !Array.isArray(errors)) return '"errors" is not a list';
  return undefined;
}

/**
 * A vendor's answer as the run history keeps it: the counts, how many rows it refused and its
 * first few messages, each short (a few hundred bytes, never the megabyte an answer may be).
 * Flat like the answer itself, so one reader ({@link parseVendorSummary}) reads both.
 */
export type SummaryExcerpt = Partial<Record<SummaryCount, number>> & {
  /** Rows the vendor said it could not import. */
  rowErrors?: number;
  /** Its first messages: row errors ("row 3: …"), errors about the whole file, or its text. */
  messages?: string[];
};

/** Messages an excerpt keeps, at most. */
const EXCERPT_MESSAGES = 5;

/**
 * The {@link SummaryExcerpt} of an answer.
 * @param summary the answer (parsed JSON, or text)
 */
export function summaryExcerpt(summary: unknown): SummaryExcerpt {
  const parsed = parseVendorSummary(summary);
  if (parsed.kind === 'text') return parsed.text ? { messages: [serverExcerpt(parsed.text, 200)] } : {};
  const messages = parsed.errors
    .slice(0, EXCERPT_MESSAGES)
    .map((e) =>
      serverExcerpt(
        `${e.row === undefined ? '' : `row ${e.row}: `}${e.message ?? JSON.stringify(e.entry)}`,
        200,
      ),
    );
  if (parsed.errors.length > EXCERPT_MESSAGES)
    messages.push(`… (${parsed.errors.length - EXCERPT_MESSAGES} more)`);
  const excerpt: SummaryExcerpt = { rowErrors: parsed.errors.filter((e) => e.row !== undefined).length };
  for (const { name, value } of parsed.counts) excerpt[name] = value;
  return messages.length > 0 ? { ...excerpt, messages } : excerpt;
}

/** How a vendor's import summary compares with the plan. */
export interface SummaryVerdict {
  /** The vendor says it imported nothing of a non-empty upload: the upload is not confirmed. */
  importedNothing: boolean;
  /** The counts that said so ("created, updated and unchanged"), for the message. */
  zeros: string;
  /** What the vendor said about the whole file (errors naming no row), short and clean. */
  fileErrors: string[];
  /** Counts clearly different from the plan, one line each, for the run's warnings. */
  differences: string[];
  /**
   * Counts so far from the plan that the run fails (see {@link compareWithPlan}), one line
   * each: archived far more, created far fewer. Empty when the answer fits the plan.
   */
  farOff: { count: 'archived' | 'created'; message: string }[];
  /** The vendor's counts (archived includes disabled), as far as it gave them. */
  counts: VendorCounts;
  /** Rows the vendor said it could not import. */
  rejectedByVendor: number;
}

/**
 * More than 5 contacts and more than 10% of the plan's count: how far a vendor's count may be
 * from the plan's before it is "clearly" (or, unexplained, "far") off. A vendor may count a
 * little differently: a contact it merged, a row it skipped, one added by hand in its portal.
 */
const clearly = (gap: number, planned: number): boolean => gap > 5 && gap > planned * 0.1;

/**
 * Compare the vendor's import summary with the plan. Sync tools that trusted any accepted
 * upload lost track of what the vendor held; adsync checks what the vendor says it did.
 *
 * Imported nothing: every count the vendor gives of created, updated and unchanged is 0, for a
 * non-empty upload, whatever its errors say (an "invalid header" beside zeros is no import). A
 * vendor that leaves `unchanged` out says nothing about the rows it did not change, so its zeros
 * mean nothing imported only when the plan had something to create or update.
 *
 * Far off (the run fails, {@link SummaryVerdict.farOff}): the vendor archived (or disabled) more
 * than planned by more than it explains, or created fewer by more than it explains, by a
 * {@link clearly} gap: archived > planned + refused + max(5, 10% of planned), created < planned −
 * refused − matched-above-plan − max(5, 10% of planned). On a first push (`plan.firstPush`: no
 * baseline, approved with `--first-push`) archives are expected and only ever a warning. A row the vendor refused explains one archive more (a contact it held
 * under that row is missing from its import) and one create fewer. A contact the vendor already
 * held though the last push does not list it (an upload adsync could not confirm, or one added
 * in the vendor's portal) is counted by it as updated or unchanged, not created: the vendor's
 * updated + unchanged above the plan's explain as many creates fewer.
 *
 * Clearly off (a warning): created or archived otherwise clearly different; the vendor took in
 * clearly fewer or more rows than planned (created + updated + unchanged); it updated more than
 * it matched. How a vendor counts updates is not compared: iLobby ignores empty fields (a
 * cleared title is no change there) and The Receptionist may count every matched contact as
 * updated. Pure.
 * @param summary the vendor's answer (parsed JSON or text)
 * @param plan the plan's counts
 * @param rows rows uploaded
 */
export function compareWithPlan(summary: unknown, plan: PlanCounts, rows: number): SummaryVerdict {
  const parsed = parseVendorSummary(summary);
  const verdict: SummaryVerdict = {
    importedNothing: false,
    zeros: '',
    fileErrors: [],
    differences: [],
    farOff: [],
    counts: {},
    rejectedByVendor: 0,
  };
  if (parsed.kind === 'text') return verdict;
  const count = (name: SummaryCount): number | undefined => parsed.counts.find((c) => c.name === name)?.value;
  const created = count('created');
  const updated = count('updated');
  const unchanged = count('unchanged');
  const archivedSaid = count('archived') !== undefined || count('disabled') !== undefined;
  const archived = (count('archived') ?? 0) + (count('disabled') ?? 0);
  const kept = [created, updated, unchanged].filter((v): v is number => v !== undefined);
  verdict.counts = Object.fromEntries(
    Object.entries({ created, updated, unchanged, archived: archivedSaid ? archived : undefined }).filter(
      (entry): entry is [string, number] => entry[1] !== undefined,
    ),
  );
  verdict.rejectedByVendor = parsed.errors.filter((e) => e.row !== undefined).length;
  verdict.importedNothing =
    rows > 0 &&
    kept.length > 0 &&
    kept.every((v) => v === 0) &&
    (unchanged !== undefined || plan.create + plan.update > 0);
  const said = (['created', 'updated', 'unchanged'] as const).filter((n) => count(n) !== undefined);
  verdict.zeros =
    said.length > 1 ? `${said.slice(0, -1).join(', ')} and ${said.at(-1) ?? ''}` : said.join('');
  verdict.fileErrors = parsed.errors.flatMap((e) =>
    e.row === undefined ? [serverExcerpt(e.message ?? JSON.stringify(e.entry), 200)] : [],
  );
  const refused = verdict.rejectedByVendor;
  const held = Math.max(0, (updated ?? 0) + (unchanged ?? 0) - plan.update - plan.unchanged);
  // A knowingly approved first push (no baseline) plans no archives but expects the vendor's:
  // whoever it held that the upload leaves out. There its archives are no verdict.
  if (archivedSaid && !plan.firstPush && clearly(archived - plan.archive - refused, plan.archive))
    verdict.farOff.push({
      count: 'archived',
      message: `the vendor says it archived or disabled ${archived} contacts; the plan archived ${plan.archive}${refused > 0 ? ` (and the vendor refused ${refused} rows)` : ''}`,
    });
  else if (archivedSaid && clearly(Math.abs(archived - plan.archive), plan.archive))
    verdict.differences.push(
      `the vendor says it archived or disabled ${archived} contacts; the plan expected ${plan.archive}`,
    );
  if (created !== undefined && clearly(plan.create - created - refused - held, plan.create))
    verdict.farOff.push({
      count: 'created',
      message: `the vendor says it created ${created} contacts; the plan created ${plan.create}${held > 0 ? ` (and the vendor matched ${held} more than planned)` : ''}`,
    });
  else if (created !== undefined && clearly(Math.abs(created - plan.create), plan.create))
    verdict.differences.push(
      `the vendor says it created ${created} contacts; the plan expected ${plan.create}`,
    );
  const planned = plan.create + plan.update + plan.unchanged;
  if (created !== undefined && updated !== undefined && unchanged !== undefined) {
    const took = created + updated + unchanged;
    if (clearly(Math.abs(took - planned), planned))
      verdict.differences.push(
        `the vendor says it took in ${took} contacts (created, updated or unchanged); the upload planned ${planned}`,
      );
  }
  if (updated !== undefined && updated > plan.update + plan.unchanged + 5)
    verdict.differences.push(
      `the vendor says it updated ${updated} contacts; the upload matched at most ${plan.update + plan.unchanged} it held`,
    );
  return verdict;
}

/**
 * The message of an upload the vendor says it imported nothing of (UPLOAD_UNCONFIRMED).
 * @param verdict the comparison with the plan
 * @param rows rows uploaded
 */
export function importedNothingMessage(verdict: SummaryVerdict, rows: number): string {
  const zeros = `${verdict.zeros} ${verdict.zeros.includes(' and ') ? 'are all' : 'is'} 0`;
  const errors = verdict.fileErrors.length > 0 ? `: ${verdict.fileErrors.slice(0, 3).join('; ')}` : '';
  return `the vendor accepted the upload but says it imported none of the ${rows} rows (${zeros})${errors}`;
}
