import type { ResolvedConfig } from '../../config/types.js';
import { UploadError } from '../../errors.js';
import { uploadCsv } from '../../upload/client.js';
import { uploadSettings, type UploadSettings } from '../../upload/settings.js';
import { checkVendor } from '../../upload/vendor-check.js';
import {
  compareWithPlan,
  importedNothingMessage,
  summaryExcerpt,
  vendorRowErrors,
} from '../../upload/vendor-summary.js';
import { vendorAnswerError } from '../../upload/vendor-verdict.js';
import type { Delivered, Delivery, DeliveryHooks, DeliveryInput, Target } from '../types.js';

/**
 * Send the CSV and judge the vendor's import summary against the plan. The bytes uploaded are the
 * bytes just written and planned: streamed from the file, hashed on the way, and refused before
 * the last byte goes out if they differ.
 */
async function deliverCsv(
  settings: UploadSettings,
  input: DeliveryInput,
  hooks: DeliveryHooks,
): Promise<Delivered> {
  const { file, counts, rows } = input;
  const receipt = await uploadCsv(settings, file, hooks);
  const verdict = compareWithPlan(receipt.summary, counts, rows);
  return {
    receipt,
    // An excerpt: the answer may be a megabyte, and the history keeps one line a run.
    excerpt: summaryExcerpt(receipt.summary),
    unconfirmed: verdict.importedNothing
      ? new UploadError('UPLOAD_UNCONFIRMED', importedNothingMessage(verdict, rows), {
          hint: `The baseline did not move. Check the vendor's import log for this upload (CSV: ${file.path}) and the account target.uploadUrl points to, then push again.`,
          details: { csvPath: file.path, httpStatus: receipt.httpStatus },
        })
      : undefined,
    differences: verdict.differences,
    refusedRows: vendorRowErrors(receipt.summary),
    beyondPlan: vendorAnswerError(verdict, counts, { csvPath: file.path, httpStatus: receipt.httpStatus }),
  };
}

/**
 * The address-book CSV upload of The Receptionist, iLobby and custom layouts: multipart or raw,
 * OAuth2 client credentials or an API key, over TLS 1.2+.
 * @param config the resolved config
 */
export function csvUploadTarget(config: ResolvedConfig): Target {
  return {
    prepare(environment): Delivery {
      const settings = uploadSettings(config, environment);
      return { deliver: (input, hooks) => deliverCsv(settings, input, hooks) };
    },
    check: (options) => checkVendor(config, options),
  };
}
