import type { CheckResult } from '../commands/check/run.js';
import type { CsvDiff } from '../commands/history/run.js';
import type { PushResult } from '../pipeline/push.js';
import type { Plan, PlannedContact } from '../plan/planner.js';
import type { HistoryEntry } from '../state/history.js';
import { parseVendorSummary } from '../upload/vendor-summary.js';
import type { Ui } from './ui.js';

const label = (slug: string): string => slug || '(all locations)';
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/**
 * Human summary of a push, on stderr.
 * @param ui the terminal
 * @param result what the push did
 * @param verbose show every warning
 */
export function renderPush(ui: Ui, result: PushResult, verbose: boolean): void {
  const c = ui.color;
  const conn = result.connection;
  for (const f of conn.failedOver) ui.warn(`skipped ${f.url}: ${f.error}`);
  ui.info(
    `${c.green('✔')} read ${plural(result.entriesRead, 'entry', 'entries')} from ${conn.url}${conn.tlsVersion ? ` (${conn.tlsVersion})` : ''}`,
  );
  const width = Math.max(8, ...result.locations.map((l) => label(l.slug).length));
  for (const l of result.locations) {
    const rejected = l.rejected > 0 ? c.yellow(`  ${l.rejected} rejected`) : '';
    ui.info(`  ${label(l.slug).padEnd(width)}  ${String(l.rows).padStart(6)} rows${rejected}`);
  }
  ui.info(
    `  ${'total'.padEnd(width)}  ${String(result.rows).padStart(6)} rows${result.rejected > 0 ? c.yellow(`  ${result.rejected} rejected`) : ''}`,
  );
  if (result.references.length > 0)
    ui.debug(`${plural(result.references.length, 'search reference')} ignored (not chased)`);
  const shown = verbose ? result.warnings : result.warnings.slice(0, 10);
  if (result.warnings.length > 0) {
    ui.warn(
      `${plural(result.warnings.length, 'warning')}${shown.length < result.warnings.length ? ` (first ${shown.length}; --verbose or --json for all)` : ''}:`,
    );
    for (const w of shown) ui.info(`  - ${w.dn ? `${w.dn}: ` : ''}${w.message}`);
  }
  const rejected = verbose ? result.rejectedRows : result.rejectedRows.slice(0, 10);
  if (rejected.length > 0) {
    ui.warn(
      `${plural(result.rejected, 'row')} rejected${rejected.length < result.rejected ? ` (first ${rejected.length}; all are in the rejects file)` : ''}:`,
    );
    for (const r of rejected)
      ui.info(`  - ${r.dn}${r.location ? ` [${r.location}]` : ''}: ${r.reasons.join('; ')}`);
  }
  renderPlan(ui, result.plan);
  if (result.staleLockTakenOver) ui.warn(`took over a stale lock (${result.staleLockTakenOver})`);
  ui.info(`CSV:     ${result.csvPath}`);
  ui.info(
    `Rejects: ${result.rejectsPath}${result.rejected > 0 ? c.yellow(`  (${plural(result.rejected, 'row')} not sent: review the reasons in it)`) : ''}`,
  );
  if (result.dryRun) ui.info(c.cyan('Dry run: nothing was uploaded.'));
  if (result.upload) renderUpload(ui, result.upload);
}

function renderPlan(ui: Ui, plan: Plan): void {
  const c = ui.color;
  if (plan.firstPush)
    ui.info(
      c.cyan(`Plan: first push (no earlier push recorded): all ${plan.totals.create} contacts are new`),
    );
  else {
    ui.info(
      `Plan: ${c.green(`${plan.totals.create} to create`)}, ${plan.totals.update} to update, ${plan.totals.archive > 0 ? c.yellow(`${plan.totals.archive} to archive`) : '0 to archive'}, ${plan.unchanged} unchanged`,
    );
  }
  // The lists hold the first contacts of each kind; the totals count them all.
  const sample = (
    label: 'create' | 'update' | 'archive',
    list: PlannedContact[],
    extra: (p: PlannedContact) => string = () => '',
  ): void => {
    const total = plan.totals[label];
    if (total === 0 || (plan.firstPush && label === 'create')) return;
    const names = list.slice(0, 5).map((p) => `${p.name}${extra(p)}`);
    ui.info(`  ${label}: ${names.join(', ')}${total > 5 ? `, … (${total - 5} more)` : ''}`);
  };
  sample('create', plan.create);
  sample('update', plan.update, (p) => (p.columns?.length ? ` (${p.columns.join(', ')})` : ''));
  sample('archive', plan.archive, (p) => (p.rejectedBecause ? ' (row rejected)' : ''));
}

/**
 * Recent runs, one line each.
 * @param ui the terminal
 * @param runs from the history
 */
export function renderHistory(ui: Ui, runs: HistoryEntry[]): void {
  if (runs.length === 0) ui.info('no runs recorded yet');
  for (const r of runs) {
    const plan = r.plan ? ` +${r.plan.create} ~${r.plan.update} -${r.plan.archive} =${r.plan.unchanged}` : '';
    ui.data(
      `${r.time}  ${r.dryRun ? 'dry-run ' : 'push    '} ${r.outcome.padEnd(9)} exit ${r.exitCode}  rows ${r.rows ?? '-'}${plan}${r.error ? `  ${r.error.split('\n')[0] ?? ''}` : ''}`,
    );
  }
}

/**
 * What changed between two CSVs.
 * @param ui the terminal
 * @param d the comparison
 */
export function renderDiff(ui: Ui, d: CsvDiff): void {
  ui.info(`${d.from}\n→ ${d.to}`);
  for (const a of d.added) ui.data(`+ ${a}`);
  for (const r of d.removed) ui.data(`- ${r}`);
  for (const ch of d.changed) ui.data(`~ ${ch.contact}: ${ch.columns.join(', ')}`);
  ui.info(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`);
}

function renderUpload(ui: Ui, upload: NonNullable<PushResult['upload']>): void {
  const c = ui.color;
  ui.info(
    `${c.green('✔')} uploaded (HTTP ${upload.httpStatus}${upload.attempts > 1 ? `, after ${upload.attempts} attempts` : ''})`,
  );
  const summary = parseVendorSummary(upload.summary);
  if (summary.kind === 'summary') {
    for (const { name, value } of summary.counts)
      ui.info(`  ${name.padEnd(10)} ${String(value).padStart(6)}`);
    ui.info(`  ${'errors'.padEnd(10)} ${String(summary.errors.length).padStart(6)}`);
    for (const e of summary.errors.slice(0, 20)) {
      ui.warn(
        `vendor: row ${e.row === undefined ? '?' : String(e.row)}: ${e.message ?? JSON.stringify(e.entry)}`,
      );
    }
  } else {
    ui.info(`  vendor said: ${summary.text}`);
  }
}

/**
 * Human report of `adsync check`, on stderr.
 * @param ui the terminal
 * @param result what check found
 */
export function renderCheck(ui: Ui, result: CheckResult): void {
  const c = ui.color;
  ui.info(`${c.green('✔')} config ${result.configPath} is valid`);
  for (const u of result.urls) {
    if (u.ok && u.url.startsWith('ldif:')) ui.info(`${c.green('✔')} ${u.url}: readable LDIF file`);
    else if (u.ok)
      ui.info(
        `${c.green('✔')} ${u.url}: reachable, ${u.tlsVersion ?? 'no TLS'}, bound as ${u.boundAs ?? '?'}`,
      );
    else {
      ui.info(`${c.red('✘')} ${u.url}: ${u.error?.message ?? 'failed'}`);
      if (u.error?.hint) ui.info(`    ${c.cyan('hint:')} ${u.error.hint}`);
    }
  }
  for (const l of result.locations) {
    ui.info(
      `\n${c.bold(label(l.slug))}: ${plural(l.rows, 'row')}${l.rejected ? c.yellow(`, ${l.rejected} rejected`) : ''}`,
    );
    if (l.preview.length === 0) continue;
    const table = [result.headers, ...l.preview];
    const widths = result.headers.map((_, i) =>
      Math.min(30, Math.max(...table.map((r) => (r[i] ?? '').length))),
    );
    for (const row of table)
      ui.info(
        `  ${row.map((v, i) => (v.length > 30 ? `${v.slice(0, 29)}…` : v).padEnd(widths[i] ?? 0)).join(' │ ')}`,
      );
  }
  if (result.warnings.length > 0)
    ui.warn(`${plural(result.warnings.length, 'warning')} while mapping; see \`adsync push --dry-run\``);
}
