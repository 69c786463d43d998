import { commandLine } from '../../util/shell-quote.js';
import { Lines, locationLabel, plural, type Line, type Style } from '../output.js';
import type { CheckResult } from './run.js';
import { renderVendorCheck } from './vendor.js';

/** The widest a preview column gets, however wide the terminal. */
const MAX_COLUMN = 30;
/** The narrowest a preview column is squeezed to before columns are left out on the right. */
const MIN_COLUMN = 4;
const INDENT = '  ';
const SEPARATOR = ' │ ';

/**
 * Human report of `adsync check`, on stderr.
 * @param style the terminal's emphasis
 * @param result what check found
 * @param width the columns a line may take (the terminal's, or 80)
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
 * A table (header row first) as lines of at most `width` characters: columns empty in every
 * row are left out, wide columns are cut with "…" (the widest first), and when even narrow
 * columns do not fit, the columns on the right are left out.
 * @param table the header row and the rows
 * @param width the columns a line may take
 */
export function fitTable(table: readonly (readonly string[])[], width: number): string[] {
  const [header = [], ...rows] = table;
  let keep = header.map((_, i) => i).filter((i) => rows.some((r) => (r[i] ?? '') !== ''));
  const natural = (i: number): number =>
    Math.min(MAX_COLUMN, Math.max(...table.map((r) => (r[i] ?? '').length)));
  const room = (n: number): number => width - INDENT.length - SEPARATOR.length * Math.max(0, n - 1);
  let widths = keep.map(natural);
  const sum = (): number => widths.reduce((n, w) => n + w, 0);
  const least = (): number => widths.reduce((n, w) => n + Math.min(w, MIN_COLUMN), 0);
  while (keep.length > 1 && least() > room(keep.length)) {
    keep = keep.slice(0, -1);
    widths = widths.slice(0, -1);
  }
  while (sum() > room(keep.length)) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= MIN_COLUMN) break; // one column left, on a very narrow terminal
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const cut = (v: string, w: number): string => (v.length > w ? `${v.slice(0, w - 1)}…` : v.padEnd(w));
  return table.map((row) =>
    `${INDENT}${keep.map((i, k) => cut(row[i] ?? '', widths[k] ?? 0)).join(SEPARATOR)}`.trimEnd(),
  );
}
