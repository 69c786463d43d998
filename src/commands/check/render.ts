import { commandLine } from '../../util/shell-quote.js';
import { Lines, locationLabel, plural, type Line, type Style } from '../output.js';
import type { CheckResult } from './run.js';
import { renderVendorCheck } from './vendor.js';

/**
 * A column is not cut below this (or its own width): when the columns do not fit at it, the ones
 * on the right are left out (and named) rather than every column cut to a few characters.
 */
const READABLE_COLUMN = 12;
/** The narrowest the one column left is cut to on a very narrow terminal. */
const MIN_COLUMN = 4;
const INDENT = '  ';
const SEPARATOR = ' │ ';

/**
 * Human report of `adsync check`, on stderr.
 * @param style the terminal's emphasis
 * @param result what check found
 * @param width the columns a line may take (the terminal's, or COLUMNS); `Infinity` for none (a pipe or a
 *   file): the preview's cells are shown whole
 */
export function renderCheck(style: Style, result: CheckResult, width = 80): Line[] {
  const out = new Lines(style);
  const c = out.color;
  out.info(`${c.green('✔')} config ${result.configPath} is valid`);
  for (const u of result.urls) {
    if (u.ok) out.info(`${c.green('✔')} ${u.url}: ${u.summary ?? 'reachable'}`);
    else {
      out.info(`${c.red('✘')} ${u.url}: ${u.error?.message ?? 'failed'}`);
      if (u.error?.hint) out.info(`    ${c.cyan('hint:')} ${u.error.hint}`);
    }
  }
  if (result.error) {
    out.info(`${c.red('✘')} ${result.error.message}`);
    if (result.error.hint) out.info(`    ${c.cyan('hint:')} ${result.error.hint}`);
  }
  for (const l of result.locations) {
    const label = c.bold(locationLabel(l.slug));
    if (l.error) {
      out.info(`\n${c.red('✘')} ${label}: ${l.error.message}`);
      if (l.error.hint) out.info(`    ${c.cyan('hint:')} ${l.error.hint}`);
      continue;
    }
    const extras = l.extraContacts ? ` (${l.extraContacts} from extraContacts files)` : '';
    out.info(
      `\n${label}: ${plural(l.rows, 'row')}${extras}${l.rejected ? c.yellow(`, ${l.rejected} rejected`) : ''}`,
    );
    if (l.preview.length === 0) continue;
    for (const line of fitTable([result.headers, ...l.preview], width)) out.info(line);
  }
  // Warnings about a whole location (no entry) are shown here; the per-entry ones by push.
  const about = result.warnings.filter((w) => w.dn === undefined);
  for (const w of about) out.warn(w.message);
  const rest = result.warnings.length - about.length;
  if (rest > 0)
    out.warn(
      `${plural(rest, 'warning')} while mapping; see \`${commandLine('adsync', ['push', '--dry-run', '--config', result.configPath], process.platform)}\``,
    );
  if (result.vendor) out.add(renderVendorCheck(style, result.vendor));
  return out.lines;
}

/**
 * A table (header row first) as lines. Columns empty in every row are left out. Cells are shown
 * whole when they fit (always with no width, `Infinity`: stderr is a pipe or a file). Within a
 * width, wide columns are cut with "…" (the widest first) but not below {@link READABLE_COLUMN}
 * characters: when the columns do not fit at that, those on the right are left out, and a last
 * line names them.
 * @param table the header row and the rows
 * @param width the columns a line may take (`Infinity`: no limit)
 */
export function fitTable(table: readonly (readonly string[])[], width: number): string[] {
  const [header = [], ...rows] = table;
  const shown = header.map((_, i) => i).filter((i) => rows.some((r) => (r[i] ?? '') !== ''));
  const natural = (i: number): number => Math.max(...table.map((r) => (r[i] ?? '').length));
  const room = (n: number): number => width - INDENT.length - SEPARATOR.length * Math.max(0, n - 1);
  let keep = shown;
  let widths = keep.map(natural);
  const floors = widths.map((w) => Math.min(w, READABLE_COLUMN));
  const total = (list: readonly number[]): number => list.reduce((n, w) => n + w, 0);
  while (keep.length > 1 && total(floors.slice(0, keep.length)) > room(keep.length)) {
    keep = keep.slice(0, -1);
    widths = widths.slice(0, -1);
  }
  while (total(widths) > room(keep.length)) {
    // The widest column still above its floor; the one column left may go below it.
    const above = widths.map((w, k) => (w > (floors[k] ?? 0) || keep.length === 1 ? w : 0));
    const widest = above.indexOf(Math.max(...above));
    if ((widths[widest] ?? 0) <= MIN_COLUMN) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const cut = (v: string, w: number): string => (v.length > w ? `${v.slice(0, w - 1)}…` : v.padEnd(w));
  const lines = table.map((row) =>
    `${INDENT}${keep.map((i, k) => cut(row[i] ?? '', widths[k] ?? 0)).join(SEPARATOR)}`.trimEnd(),
  );
  const left = shown.slice(keep.length).map((i) => header[i] ?? '');
  if (left.length === 0) return lines;
  const note = `${INDENT}+ ${left.length} more column${left.length === 1 ? '' : 's'}: ${left.join(', ')}`;
  return [...lines, note.length > width ? `${note.slice(0, width - 1)}…` : note];
}
