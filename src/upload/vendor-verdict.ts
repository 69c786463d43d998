import { VendorAnswerError, type PlanCounts } from '../errors.js';
import type { SummaryVerdict } from './vendor-summary.js';

/**
 * The error of a vendor's answer so far from the plan that the run fails (see
 * {@link SummaryVerdict.farOff}), or undefined when it is not. The vendor did import the upload
 * (it says so, with counts that make sense), so the baseline has moved to it; what failed is the
 * run's expectation of what the vendor would do with it. Archived far more wins over created far
 * fewer: it is the one that empties a kiosk.
 * @param verdict the comparison with the plan
 * @param plan the plan's counts
 * @param upload the CSV sent and the status the vendor accepted it with
 * @param upload.csvPath the CSV sent
 * @param upload.httpStatus the vendor's 2xx status
 */
export function vendorAnswerError(
  verdict: SummaryVerdict,
  plan: PlanCounts,
  upload: { csvPath: string; httpStatus: number },
): VendorAnswerError | undefined {
  const first = verdict.farOff.find((f) => f.count === 'archived') ?? verdict.farOff[0];
  if (first === undefined) return undefined;
  const archived = first.count === 'archived';
  const what = verdict.farOff.map((f) => f.message).join('; ');
  return new VendorAnswerError(
    archived ? 'VENDOR_ARCHIVED_MORE' : 'VENDOR_CREATED_FEWER',
    `the vendor imported the upload, but its answer is far from the plan: ${what}`,
    {
      hint: `${
        archived
          ? "Contacts the plan kept may be gone from the kiosk: check the vendor's archived (or disabled) contacts now and restore those who should be there. Another tool or person uploading to the same account, or a state directory that belongs to another account, explains such a gap."
          : 'Contacts the plan created may be missing at the vendor: check its import log and address book.'
      } The baseline is this upload (the vendor says it imported it); CSV: ${upload.csvPath}.`,
      details: {
        plan,
        vendor: verdict.counts,
        rejectedByVendor: verdict.rejectedByVendor,
        csvPath: upload.csvPath,
        httpStatus: upload.httpStatus,
      },
    },
  );
}
