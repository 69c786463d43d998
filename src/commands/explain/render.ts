import { LOCATION_ORIGIN } from '../../mapping/origin.js';
import { changesText, Lines, locationLabel, plural, type Line, type Style } from '../output.js';
import type { ExplainedCell, ExplainResult, LocationExplain, ReceivedContact } from './run.js';
import { quoteValue, showValue } from '../../util/quote-value.js';

const VERDICT_TEXT: Record<LocationExplain['verdict'], string> = {
  valid: 'sent',
  rejected: 'rejected',
  duplicate: 'rejected as a duplicate',
  'one-site': 'not sent here (one site per email)',
  'not-matched': 'not selected',
};

const ACTION_TEXT: Record<LocationExplain['action'], string> = {
  create: 'the next push creates the contact',
  update: 'the next push updates the contact',
  unchanged: 'the next push leaves the contact unchanged',
  archive: 'the next push archives the contact',
  none: 'the next push does nothing with it',
};

/** A row as `Column "value" (from)` lines, values quoted so an empty cell stays visible. */
function rowLines(row: readonly ExplainedCell[], indent: string): string[] {
  const wide = Math.max(0, ...row.map((c) => c.column.length));
  return row.map(
    (c) =>
      `${indent}${c.column.padEnd(wide)}  ${quoteValue(c.value, Number.POSITIVE_INFINITY)}${c.from !== undefined ? `  ← ${c.from}` : ''}`,
  );
}

/** What the next push does with a contact nobody matches now, in words. */
function nextLine(contact: ReceivedContact): string {
  if (contact.next === 'update')
    return `the next push updates it: the vendor matches it by Identification, and that entry is now ${contact.now ?? 'someone else'} (a changed email or SMS phone)`;
  if (contact.renamedTo !== undefined)
    return `renamed to ${contact.renamedTo} in the directory: the next push archives (disables) this record and creates the new one`;
  if (contact.next === 'unchanged') return 'the next push leaves it as it is';
  return `${contact.source !== undefined ? 'removed from its extraContacts file' : 'deleted, moved out of every location or renamed in the directory'} since? The next push archives it.`;
}

/**
 * Human report of `adsync explain`: per person its row (with where each value came from), then
 * per location whether it is selected and why, the verdict, the next push's action and what
 * the vendor last received. On stdout: it is the answer asked for.
 * @param style the terminal's emphasis
 * @param result what explain found
 */
export function renderExplain(style: Style, result: ExplainResult): Line[] {
  const out = new Lines(style);
  const c = out.color;
  const last = result.lastPush
    ? `the last good push (${result.lastPush.time}, ${plural(result.lastPush.contacts, 'contact')})`
    : undefined;
  if (result.people.length === 0) {
    out.directory(
      'data',
      `${c.yellow('!')} nobody in the directory matches ${quoteValue(result.query)} (searched by email, login, DN and name, without the location filters)`,
    );
    if (!last) out.directory('data', '  there is no last good push to compare with');
    else if (result.inLastPush.length === 0)
      out.directory('data', `  ${last} has no contact with that email either`);
    else {
      out.directory('data', `  ${last} has it:`);
      for (const contact of result.inLastPush) {
        const from = contact.source === undefined ? '' : ` (from ${contact.source})`;
        out.directory('data', `  in ${locationLabel(contact.location)}${from}: ${nextLine(contact)}`);
        for (const line of rowLines(contact.row, '    ')) out.directory('data', line);
      }
    }
    return out.lines;
  }
  for (const person of result.people) {
    out.directory(
      'data',
      `${c.bold(showValue(person.name))}  ${c.dim(showValue(person.source === undefined ? person.dn : `${person.source} (extraContacts)`))}`,
    );
    const shown = person.locations.find((l) => l.matched) ?? person.locations[0];
    if (shown) {
      // Matched nowhere: the location column would hold a slug the person has none of.
      const row = shown.matched ? shown.row : shown.row.filter((cell) => cell.from !== LOCATION_ORIGIN);
      out.directory('data', `  row${shown.matched ? '' : ' (as it would be mapped; in no location)'}:`);
      for (const line of rowLines(row, '    ')) out.directory('data', line);
    }
    for (const l of person.locations) locationLines(out, l, last);
    out.directory('data', '');
  }
  if (result.more)
    out.directory(
      'data',
      `${c.yellow('!')} more people match ${quoteValue(result.query)}; give an email, a login or a longer part of the name`,
    );
  for (const w of result.warnings)
    out.warn(`${w.location !== undefined ? `${locationLabel(w.location)}: ` : ''}${w.message}`);
  return out.lines;
}

function locationLines(out: Lines, l: LocationExplain, last: string | undefined): void {
  const c = out.color;
  const mark = l.verdict === 'valid' ? c.green('✔') : l.matched ? c.red('✘') : c.dim('·');
  out.directory(
    'data',
    `  ${mark} ${c.bold(locationLabel(l.slug))}: ${VERDICT_TEXT[l.verdict]}; ${ACTION_TEXT[l.action]}`,
  );
  for (const w of l.why) out.directory('data', `      ${w}`);
  for (const r of l.reasons) out.directory('data', `      ${c.red('rejected:')} ${r}`);
  if (l.keptBy !== undefined) out.directory('data', `      kept by location ${locationLabel(l.keptBy)}`);
  if (l.changes.length > 0) out.directory('data', `      changes: ${changesText(l.changes)}`);
  if (l.rename) {
    const where = l.rename.location === l.slug ? '' : ` (from location ${locationLabel(l.rename.location)})`;
    out.directory(
      'data',
      `      a rename: ${l.rename.from} → ${l.rename.to}${where}, the same directory entry; the vendor matches by it, so it archives (disables) the old record and creates this one`,
    );
  }
  for (const b of l.archiveBecause ?? []) out.directory('data', `      archived because: ${b}`);
  if (!last) out.directory('data', '      the vendor has received nothing yet (no last good push)');
  else if (!l.lastPushed) out.directory('data', `      not in ${last}`);
  else if (l.action === 'unchanged') out.directory('data', `      the vendor has this row already (${last})`);
  else {
    out.directory('data', `      the vendor last received (${last}):`);
    for (const line of rowLines(l.lastPushed, '        ')) out.directory('data', line);
  }
}
