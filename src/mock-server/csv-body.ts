import { parse } from 'csv-parse/sync';

import { invalidUtf8Offset, VENDOR_HEADERS, type VendorRules } from './import.js';
import { multipartFile } from './multipart.js';

/** Why the vendor refuses an upload before importing it. */
export interface UploadRefusal {
  /** HTTP status answered. */
  status: number;
  /** The outcome kept in the upload record. */
  outcome: string;
  /** The JSON body answered. */
  answer: Record<string, unknown>;
}

/** The CSV of an upload: the first file of a multipart form, or the whole body. */
async function csvOf(body: Buffer, contentType: string): Promise<Uint8Array | UploadRefusal> {
  if (!/^multipart\/form-data/i.test(contentType)) return body;
  const file = await multipartFile(body, contentType);
  return (
    file ?? {
      status: 400,
      outcome: 'no file in the form',
      answer: { error: 'multipart upload without a file field' },
    }
  );
}

/**
 * The rows of an upload body, or why the vendor refuses it, checked in the vendor's order: a file
 * in the form, UTF-8, CSV that parses (every row as wide as the header), then only known columns.
 * @param body the whole request body
 * @param contentType the request's content-type
 * @param rules which vendor's headers are known
 */
export async function uploadedRows(
  body: Buffer,
  contentType: string,
  rules: VendorRules,
): Promise<{ rows: Record<string, string>[] } | UploadRefusal> {
  const csv = await csvOf(body, contentType);
  if (!(csv instanceof Uint8Array)) return csv;
  const bad = invalidUtf8Offset(csv);
  if (bad >= 0) {
    const error = `invalid UTF-8 byte sequence at byte ${bad}`;
    return { status: 422, outcome: error, answer: { error, offset: bad } };
  }
  let rows: Record<string, string>[];
  try {
    rows = parse<Record<string, string>>(Buffer.from(csv).toString('utf8'), {
      columns: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      status: 400,
      outcome: 'CSV could not be parsed',
      answer: { error: `CSV could not be parsed: ${why}` },
    };
  }
  const headers = rows[0] ? Object.keys(rows[0]) : [];
  const unknown = headers.filter((h) => !VENDOR_HEADERS[rules].includes(h));
  if (unknown.length === 0) return { rows };
  return {
    status: 400,
    outcome: `unknown columns ${unknown.join(', ')}`,
    answer: { error: `unknown columns: ${unknown.join(', ')}; expected ${VENDOR_HEADERS[rules].join(', ')}` },
  };
}
