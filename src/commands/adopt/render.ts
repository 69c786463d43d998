import { Lines, locationLabel, plural, type Line, type Style } from '../output.js';
import type { AdoptOutcome } from './run.js';

/** Lines at most for each list of row numbers. */
const SHOWN = 10;

const lineList = (lines: readonly number[]): string =>
  `${lines.slice(0, SHOWN).join(', ')}${lines.length > SHOWN ? `, … (${lines.length - SHOWN} more)` : ''}`;

/**
 * What `adsync adopt` did: the baseline, per location, and what the next push will do with it.
 * @param style the terminal's emphasis
 * @param result the outcome
 */
export function renderAdopt(style: Style, result: AdoptOutcome): Line[] {
  const out = new Lines(style);
  out.info(style.green(`adopted ${result.file} as the baseline: ${plural(result.contacts, 'contact')}`));
  for (const l of result.locations) out.info(`  ${locationLabel(l.slug)}: ${l.contacts}`);
  out.info(`state: ${result.statePath}`);
  if (result.replaced) out.info(`the baseline it replaced is kept as ${result.replaced}`);
  if (result.missingColumns.length > 0)
    out.warn(
      `the file has no ${result.missingColumns.join(', ')} column(s): those cells count as empty, so the next push plans them as updates`,
    );
  for (const slug of result.unmapped)
    out.warn(
      `location ${locationLabel(slug)} is in the file but not in the config's locations: the next push archives its contacts (the guards count them)`,
    );
  if (result.withoutKey.length > 0)
    out.warn(
      `${plural(result.withoutKey.length, 'row')} left out: nothing the vendor matches a contact by (lines ${lineList(result.withoutKey)})`,
    );
  if (result.repeated.length > 0)
    out.warn(
      `${plural(result.repeated.length, 'row')} repeat the match key of an earlier row; the vendor keeps one contact for each key, as the last such row left it (lines ${lineList(result.repeated)})`,
    );
  if (result.stateDirWarning) out.warn(result.stateDirWarning);
  if (result.historyProblem) out.warn(`the run history could not be written: ${result.historyProblem}`);
  out.info(style.cyan('next: adsync push --dry-run shows the plan against it; then adsync push'));
  return out.lines;
}
