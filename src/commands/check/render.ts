import { Lines, locationLabel, plural, type Line, type Style } from '../output.js';
import type { CheckResult } from './run.js';
import { renderVendorCheck } from './vendor.js';

/**
 * Human report of `adsync check`, on stderr.
 * @param ui the terminal
 * @param result what check found
 */
export function renderCheck(style: Style, result: CheckResult): Line[] {
  const out = new Lines(style);
  const c = out.color;
  out.info(`${c.green('✔')} config ${result.configPath} is valid`);
  for (const u of result.urls) {
    if (u.ok && u.url.startsWith('ldif:')) out.info(`${c.green('✔')} ${u.url}: readable LDIF file`);
    else if (u.ok)
      out.info(
        `${c.green('✔')} ${u.url}: reachable, ${u.tlsVersion ?? 'no TLS'}, bound as ${u.boundAs ?? '?'}`,
      );
    else {
      out.info(`${c.red('✘')} ${u.url}: ${u.error?.message ?? 'failed'}`);
      if (u.error?.hint) out.info(`    ${c.cyan('hint:')} ${u.error.hint}`);
    }
  }
  for (const l of result.locations) {
    out.info(
      `\n${c.bold(locationLabel(l.slug))}: ${plural(l.rows, 'row')}${l.rejected ? c.yellow(`, ${l.rejected} rejected`) : ''}`,
    );
    if (l.preview.length === 0) continue;
    const table = [result.headers, ...l.preview];
    const widths = result.headers.map((_, i) =>
      Math.min(30, Math.max(...table.map((r) => (r[i] ?? '').length))),
    );
    for (const row of table)
      out.info(
        `  ${row.map((v, i) => (v.length > 30 ? `${v.slice(0, 29)}…` : v).padEnd(widths[i] ?? 0)).join(' │ ')}`,
      );
  }
  if (result.vendor) out.add(renderVendorCheck(style, result.vendor));
  if (result.warnings.length > 0)
    out.warn(`${plural(result.warnings.length, 'warning')} while mapping; see \`adsync push --dry-run\``);
  return out.lines;
}
