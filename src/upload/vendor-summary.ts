import type { Dispatcher } from 'undici';

import { cleanServerText, cleanServerValue, serverExcerpt } from '../util/server-text.js';
import type { PlanCounts } from '../errors.js';

/**
 * The vendor's answer, read in one place: the body of a response (JSON when it parses, else
 * text), the message of a refusal, and the import summary of an accepted upload
 * (`{created, updated, unchanged, archived, disabled, errors: [{row, message}]}`).
 */

/** Counts a vendor's import summary may carry, in display order. */
export const SUMMARY_COUNTS = ['created', 'updated', 'unchanged', 'archived', 'disabled'] as const;

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
  /** The body was longer than {@link MAX_ANSWER_BYTES}: only that much was read. */
  truncated: boolean;
  /** Bytes read. */
  bytes: number;
}

/**
 * Read a response body, at most {@link MAX_ANSWER_BYTES} of it (the rest is not downloaded),
 * and clean what the server wrote of control characters and escape sequences.
 * @param res the response
 */
export async function readAnswer(res: Dispatcher.ResponseData): Promise<Answer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    const room = MAX_ANSWER_BYTES - bytes;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      bytes += room;
      truncated = true;
      break; // leaving the loop destroys the body: the rest is never read
    }
    chunks.push(chunk);
    bytes += chunk.length;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!truncated) {
    try {
      const raw: unknown = JSON.parse(text);
      return { body: cleanServerValue(raw), raw, truncated, bytes };
    } catch {
      // not JSON: text
    }
  }
  return { body: cleanServerText(text), raw: text, truncated, bytes };
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
  if (answer.truncated) return false;
  if (expectEmpty) return answer.bytes === 0 || answer.body === '';
  const parsed = parseVendorSummary(answer.body);
  const record = answer.body as Record<string, unknown> | null;
  return parsed.kind === 'summary' && (parsed.counts.length > 0 || Array.isArray(record?.errors));
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
}

/**
 * Compare the vendor's import summary with the plan. Sync tools that trusted any accepted
 * upload lost track of what the vendor held; adsync checks what the vendor says it did.
 *
 * Imported nothing: every count the vendor gives of created, updated and unchanged is 0, for a
 * non-empty upload, whatever its errors say (an "invalid header" beside zeros is no import). A
 * vendor that leaves `unchanged` out says nothing about the rows it did not change, so its zeros
 * mean nothing imported only when the plan had something to create or update.
 *
 * Clearly off: a count that differs by more than 5 contacts and more than 10% of the plan's (a
 * vendor may count a little differently: a contact it merged, a row it skipped). Created and
 * archived are compared as they are. Updates are not, one way: iLobby ignores empty fields (so a
 * cleared title is no change there) and The Receptionist may count every matched contact as
 * updated; what is compared is that the vendor took in about as many rows as were planned
 * (created + updated + unchanged) and updated no more than it matched. Pure.
 * @param summary the vendor's answer (parsed JSON or text)
 * @param plan the plan's counts
 * @param rows rows uploaded
 */
export function compareWithPlan(summary: unknown, plan: PlanCounts, rows: number): SummaryVerdict {
  const parsed = parseVendorSummary(summary);
  if (parsed.kind === 'text') return { importedNothing: false, zeros: '', fileErrors: [], differences: [] };
  const count = (name: (typeof SUMMARY_COUNTS)[number]): number | undefined =>
    parsed.counts.find((c) => c.name === name)?.value;
  const created = count('created');
  const updated = count('updated');
  const unchanged = count('unchanged');
  const archived = (count('archived') ?? 0) + (count('disabled') ?? 0);
  const kept = [created, updated, unchanged].filter((v): v is number => v !== undefined);
  const planned = plan.create + plan.update + plan.unchanged;
  const importedNothing =
    rows > 0 &&
    kept.length > 0 &&
    kept.every((v) => v === 0) &&
    (unchanged !== undefined || plan.create + plan.update > 0);
  const said = (['created', 'updated', 'unchanged'] as const).filter((n) => count(n) !== undefined);
  const zeros = said.length > 1 ? `${said.slice(0, -1).join(', ')} and ${said.at(-1) ?? ''}` : said.join('');
  const fileErrors = parsed.errors.flatMap((e) =>
    e.row === undefined ? [serverExcerpt(e.message ?? JSON.stringify(e.entry), 200)] : [],
  );
  const differences: string[] = [];
  const off = (got: number, expected: number): boolean => {
    const gap = Math.abs(got - expected);
    return gap > 5 && gap > expected * 0.1;
  };
  if (created !== undefined && off(created, plan.create))
    differences.push(`the vendor says it created ${created} contacts; the plan expected ${plan.create}`);
  if (created !== undefined && updated !== undefined && unchanged !== undefined) {
    const took = created + updated + unchanged;
    if (off(took, planned))
      differences.push(
        `the vendor says it took in ${took} contacts (created, updated or unchanged); the upload planned ${planned}`,
      );
  }
  if (updated !== undefined && updated > plan.update + plan.unchanged + 5)
    differences.push(
      `the vendor says it updated ${updated} contacts; the upload matched at most ${plan.update + plan.unchanged} it held`,
    );
  if (count('archived') !== undefined || count('disabled') !== undefined)
    if (off(archived, plan.archive))
      differences.push(
        `the vendor says it archived or disabled ${archived} contacts; the plan expected ${plan.archive}`,
      );
  return { importedNothing, zeros, fileErrors, differences };
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
