import type { Dispatcher } from 'undici';

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

/**
 * A response body: parsed JSON, or the text when it is not JSON.
 * @param res the response
 */
export async function readAnswer(res: Dispatcher.ResponseData): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The message of a refusal (OAuth2 `error`/`error_description`, or `message`), short.
 * @param body the answer (parsed JSON, or text)
 */
export function answerMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const parts = [o.error, o.error_description, o.message].filter((v): v is string => typeof v === 'string');
    if (parts.length > 0) return parts.join(': ');
  }
  return JSON.stringify(body).slice(0, 300);
}
