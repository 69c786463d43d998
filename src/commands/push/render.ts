import type { PushResult } from '../../pipeline/push.js';
import type { Plan, PlannedContact } from '../../plan/planner.js';
import { parseVendorSummary } from '../../upload/vendor-summary.js';
import { showValue } from '../../util/quote-value.js';
import { changesText, Lines, locationLabel, plural, type Line, type Style } from '../output.js';

/** The label of the rows that name no configured location, in the counts. */
const NO_LOCATION = '(none)';

/**
 * Human summary of a push, on stderr: what it read and planned, then how it ended.
 * @param style the terminal's style
 * @param result what the push did
 * @param verbose show every warning
 */
export function renderPush(style: Style, result: PushResult, verbose: boolean): Line[] {
  return [
    ...renderPushPlanned(style, result, verbose),
    ...renderPushEnd(style, result, result.warnings.length),
  ];
}

/**
 * The first part of a push's summary, known before anything is sent: what was read, the
 * warnings and rejects, and the plan. A push that uploads shows it as soon as it is known, so
 * the upload's own lines (retries, the vendor's answer) follow it, and a run stopped during the
 * upload has shown it.
 * @param style the terminal's style
 * @param result the push as planned
 * @param verbose show every warning
 */
export function renderPushPlanned(style: Style, result: PushResult, verbose: boolean): Line[] {
  const out = new Lines(style);
  const c = out.color;
  const conn = result.connection;
  for (const f of conn.failedOver) out.warn(`skipped ${f.url}: ${f.error}`);
  out.info(
    `${c.green('✔')} read ${plural(result.entriesRead, 'entry', 'entries')} from ${conn.url}${conn.tlsVersion ? ` (${conn.tlsVersion})` : ''}`,
  );
  renderCounts(out, result);
  if (result.references.length > 0)
    out.debug(`${plural(result.references.length, 'search reference')} ignored (not chased)`);
  const shown = verbose ? result.warnings : result.warnings.slice(0, 10);
  const warned = result.warnings.length + result.warningsOmitted;
  if (warned > 0) {
    const more =
      result.warningsOmitted > 0
        ? `first ${shown.length}; ${verbose ? '' : '--verbose or --json for the first '}${result.warnings.length} kept, ${result.warningsOmitted} more about single rows only counted`
        : `first ${shown.length}; --verbose or --json for all`;
    out.warn(`${plural(warned, 'warning')}${shown.length < warned ? ` (${more})` : ''}:`);
    for (const w of shown) out.info(`  - ${w.dn ? `${showValue(w.dn)}: ` : ''}${w.message}`);
  }
  const rejected = verbose ? result.rejectedRows : result.rejectedRows.slice(0, 10);
  if (rejected.length > 0) {
    out.warn(
      `${plural(result.rejected, 'row')} rejected${rejected.length < result.rejected ? ` (first ${rejected.length}; all are in the rejects file ${result.rejectsPath})` : ''}:`,
    );
    for (const r of rejected)
      out.directory(
        'info',
        `  - ${showValue(r.dn)}${r.location ? ` [${r.location}]` : ''}: ${r.reasons.join('; ')}`,
      );
  }
  renderPlan(out, result.plan);
  return out.lines;
}

/**
 * The last part of a push's summary: what came after the plan (the vendor's answer and the
 * warnings it gave), and the files.
 * @param style the terminal's style
 * @param result what the push did
 * @param shownWarnings how many of its warnings the first part showed (the rest came later)
 */
export function renderPushEnd(style: Style, result: PushResult, shownWarnings: number): Line[] {
  const out = new Lines(style);
  const c = out.color;
  if (result.staleLockTakenOver) out.warn(`took over a stale lock (${result.staleLockTakenOver})`);
  if (result.upload) renderUpload(out, result.upload);
  // What the vendor's answer said beyond the plan: after it, in the order it came.
  for (const w of result.warnings.slice(shownWarnings))
    out.warn(`${w.dn ? `${showValue(w.dn)}: ` : ''}${w.message}`);
  out.info(`CSV:     ${result.csvPath}`);
  out.info(
    `Rejects: ${result.rejectsPath}${result.rejected > 0 ? c.yellow(`  (${plural(result.rejected, 'row')} not sent: review the reasons in it)`) : ''}`,
  );
  if (result.dryRun) out.info(c.cyan('Dry run: nothing was uploaded.'));
  return out.lines;
}

/** Rows and rejects per location, and the total. */
function renderCounts(out: Lines, result: PushResult): void {
  const c = out.color;
  const width = Math.max(8, ...result.locations.map((l) => locationLabel(l.slug).length));
  for (const l of result.locations) {
    const rejected = l.rejected > 0 ? c.yellow(`  ${l.rejected} rejected`) : '';
    const extras = l.extraContacts > 0 ? `  (${l.extraContacts} from extraContacts files)` : '';
    out.info(
      `  ${locationLabel(l.slug).padEnd(width)}  ${String(l.rows).padStart(6)} ${l.rows === 1 ? 'row' : 'rows'}${rejected}${extras}`,
    );
  }
  if (result.rejectedWithoutLocation > 0)
    out.info(
      `  ${NO_LOCATION.padEnd(width)}  ${'0 rows'.padStart(11)}${c.yellow(`  ${result.rejectedWithoutLocation} rejected`)}  (extraContacts rows naming no configured location)`,
    );
  out.info(
    `  ${'total'.padEnd(width)}  ${String(result.rows).padStart(6)} ${result.rows === 1 ? 'row' : 'rows'}${result.rejected > 0 ? c.yellow(`  ${result.rejected} rejected`) : ''}`,
  );
}

function renderPlan(out: Lines, plan: Plan): void {
  const c = out.color;
  if (plan.firstPush) {
    const all = plan.totals.create;
    out.info(
      c.cyan(
        `Plan: first push (no baseline): ${all === 1 ? 'the 1 contact is' : `all ${all} contacts are`} new to adsync; the vendor archives any contact it holds that is not in this file`,
      ),
    );
  } else {
    out.info(
      `Plan: ${c.green(`${plan.totals.create} to create`)}, ${plan.totals.update} to update, ${plan.totals.archive > 0 ? c.yellow(`${plan.totals.archive} to archive`) : '0 to archive'}, ${plan.unchanged} unchanged${plan.totals.rename > 0 ? `; ${plan.totals.rename} of the archives ${plan.totals.rename === 1 ? 'is a rename' : 'are renames'}` : ''}`,
    );
  }
  // The same person can be in two locations: each entry says which one.
  // A contact not from the directory says which file line it is.
  const where = (p: PlannedContact): string =>
    `${p.location ? ` [${p.location}]` : ''}${p.source ? ` (from ${p.source})` : ''}`;
  const more = (total: number): string => (total > 5 ? `, … (${total - 5} more)` : '');
  // The lists hold the first contacts of each kind; the totals count them all.
  const sample = (
    label: 'create' | 'archive',
    list: PlannedContact[],
    extra: (p: PlannedContact) => string,
  ): void => {
    const total = plan.totals[label];
    if (total === 0 || (plan.firstPush && label === 'create')) return;
    const names = list.slice(0, 5).map((p) => `${p.name}${where(p)}${extra(p)}`);
    out.directory('info', `  ${label}: ${names.join(', ')}${more(total)}`);
  };
  sample('create', plan.create, () => '');
  // One line per update: the changed columns, old → new.
  for (const p of plan.update.slice(0, 5)) {
    const changes = p.changes?.length ? `: ${changesText(p.changes)}` : '';
    out.directory('info', `  update: ${p.name}${where(p)}${changes}`);
  }
  if (plan.totals.update > 5) out.info(`  update: … (${plan.totals.update - 5} more)`);
  sample('archive', plan.archive, (p) => (p.rejectedBecause ? ' (row rejected)' : ''));
  if (plan.totals.rename > 0) {
    const renames = plan.renames
      .slice(0, 5)
      .map(
        (r) =>
          `${r.from} → ${r.to}${r.location ? ` [${r.location}${r.toLocation ? ` → ${r.toLocation}` : ''}]` : ''}`,
      );
    out.directory('info', `  renames: ${renames.join(', ')}${more(plan.totals.rename)}`);
    // The vendors match these contacts by email (or SMS phone): the new one is a new record.
    out.info(
      '    (the same directory entries with a new email or SMS phone: the vendor archives or disables each old record and creates a new one)',
    );
  }
}

function renderUpload(out: Lines, upload: NonNullable<PushResult['upload']>): void {
  const c = out.color;
  out.info(
    `${c.green('✔')} uploaded (HTTP ${upload.httpStatus}${upload.attempts > 1 ? `, after ${upload.attempts} attempts` : ''})`,
  );
  const summary = parseVendorSummary(upload.summary);
  if (summary.kind === 'summary') {
    for (const { name, value } of summary.counts)
      out.info(`  ${name.padEnd(10)} ${String(value).padStart(6)}`);
    out.info(`  ${'errors'.padEnd(10)} ${String(summary.errors.length).padStart(6)}`);
    for (const e of summary.errors.slice(0, 20)) {
      out.warn(
        `vendor: row ${e.row === undefined ? '?' : String(e.row)}: ${e.message ?? JSON.stringify(e.entry)}`,
      );
    }
  } else {
    out.info(`  vendor said: ${summary.text}`);
  }
}
