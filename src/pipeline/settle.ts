import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { ResolvedConfig } from '../config/types.js';
import type { SortedRow } from '../csv/external-sort.js';
import { LineBuffer } from '../io/line-buffer.js';
import { compareText, RowOrder, sortKeyIndexes } from '../mapping/order.js';
import { DuplicateFinder, duplicateReason, type DuplicateValue } from '../validation/validate.js';
import { OneSitePerEmail } from './one-site.js';
import type { Bucket } from './read.js';
import type { ExportRow, ExportSink, ExportWarning, ExportWatch, LocationOutput } from './types.js';

/**
 * Phase two for one location: merge its sorted rows, reject rows that repeat a unique value,
 * apply iLobby's one-site rule, and pass the rest on in order.
 * @param bucket the location as read
 * @param layout the column layout
 * @param work the run's private working directory
 * @param oneSite the one-site rule, for iLobby
 * @param pass receives the rows that are sent
 * @param watch told the duplicate and one-site fates of watched rows
 * @returns the location's counts and rejected rows (in output order)
 */
async function settleLocation(
  bucket: Bucket,
  layout: ResolvedConfig['layout'],
  work: string,
  oneSite: OneSitePerEmail | undefined,
  pass: (row: SortedRow) => Promise<void> | void,
  watch: ExportWatch | undefined,
): Promise<LocationOutput> {
  const finder = new DuplicateFinder(layout);
  // DNs of the rows that passed the duplicate check, by number, to name a duplicate's owner.
  const accepted = new LineBuffer(join(work, `accepted-${bucket.name}`));
  const kept = oneSite ? new LineBuffer(`${accepted.path}.kept`) : undefined;
  if (oneSite && kept) oneSite.begin(bucket.slug, kept.path);
  const duplicates: { row: SortedRow; values: DuplicateValue[] }[] = [];
  let rows = 0;
  let extraContacts = 0;
  try {
    for await (const row of bucket.sorter.sorted()) {
      const values = finder.check(row.cells);
      if (values) {
        duplicates.push({ row, values });
        continue;
      }
      await accepted.append(JSON.stringify(row.dn));
      if (oneSite) {
        if (!oneSite.claim(row.cells, bucket.slug)) {
          if (watch?.wants(row.dn) === true)
            watch.oneSite(
              { cells: row.cells, location: bucket.slug, dn: row.dn },
              oneSite.keeperOf(row.cells),
            );
          continue;
        }
        await kept?.append(JSON.stringify([row.dn, oneSite.emailOf(row.cells)]));
      }
      rows++;
      if (bucket.extras?.has(row.dn)) extraContacts++;
      await pass(row);
    }
  } finally {
    await accepted.close();
    await kept?.close();
  }
  const rejected = bucket.rejected;
  if (duplicates.length > 0) {
    // Name each duplicate's owner: read the accepted DNs once, keeping only the ones needed.
    const wanted = new Set(duplicates.flatMap((d) => d.values.map((v) => v.owner)));
    const owners = new Map<number, string>();
    let n = 0;
    for await (const line of accepted.lines()) {
      if (wanted.has(n)) owners.set(n, JSON.parse(line) as string);
      n++;
    }
    for (const { row, values } of duplicates) {
      rejected.push({
        cells: row.cells,
        dn: row.dn,
        location: bucket.slug,
        reasons: values.map((v) => duplicateReason(v, owners.get(v.owner) ?? '')),
      });
      if (watch?.wants(row.dn) === true) {
        const repeated = values.map((v) => ({
          column: v.header,
          value: v.value,
          owner: owners.get(v.owner) ?? '',
        }));
        watch.duplicate({ cells: row.cells, location: bucket.slug, dn: row.dn }, repeated);
      }
    }
  }
  await rm(accepted.path, { force: true });
  const order = new RowOrder(sortKeyIndexes(layout));
  const sorted = rejected
    .map((r) => ({ ...order.row(r.cells, r.dn), r }))
    .sort(order.compare)
    .map((x) => x.r);
  return { slug: bucket.slug, rows, extraContacts, rejected: sorted };
}

/**
 * Phase two for every location: settle each one and send its rows to the sink, locations in
 * output order (by slug). For iLobby (reach by email) locations are settled in config order, so
 * the first matching location keeps a contact, and their rows are parked in a run file until all
 * are settled.
 * @param config the resolved config
 * @param buckets the locations as read
 * @param work the run's private working directory
 * @param sink receives the rows
 * @param watch told the duplicate and one-site fates of watched rows
 * @returns the locations in output order, and the one-site warnings
 */
export async function settleLocations(
  config: ResolvedConfig,
  buckets: ReadonlyMap<string, Bucket>,
  work: string,
  sink: ExportSink,
  watch?: ExportWatch,
): Promise<{ locations: LocationOutput[]; warnings: ExportWarning[] }> {
  const layout = config.layout;
  const slugs = [...buckets.keys()].sort(compareText);
  const outputs = new Map<string, LocationOutput>();
  const warnings: ExportWarning[] = [];
  if (layout.reach === 'email') {
    const configOrder = [...new Set(config.locations.map((l) => l.slug))];
    const rule = new OneSitePerEmail(layout.roles.email ?? 0);
    const settled = new Map<string, LineBuffer>();
    for (const slug of configOrder) {
      const bucket = buckets.get(slug);
      if (!bucket) continue;
      const file = new LineBuffer(join(work, `settled-${settled.size}`));
      settled.set(slug, file);
      try {
        outputs.set(
          slug,
          await settleLocation(
            bucket,
            layout,
            work,
            rule,
            (row) => file.append(JSON.stringify([row.dn, row.cells, row.id])),
            watch,
          ),
        );
      } finally {
        await file.close();
      }
    }
    warnings.push(...(await rule.warnings()));
    for (const slug of slugs) {
      const file = settled.get(slug);
      if (file === undefined) continue;
      for await (const line of file.lines()) {
        const [dn, cells, id] = JSON.parse(line) as [string, string[], string | undefined];
        await sink.row(exportRow(buckets.get(slug), cells, slug, dn, id));
      }
    }
  } else {
    for (const slug of slugs) {
      const bucket = buckets.get(slug);
      if (!bucket) continue;
      outputs.set(
        slug,
        await settleLocation(
          bucket,
          layout,
          work,
          undefined,
          (row) => sink.row(exportRow(bucket, row.cells, slug, row.dn, row.id)),
          watch,
        ),
      );
    }
  }
  const locations = slugs.flatMap((slug) => {
    const output = outputs.get(slug);
    return output ? [output] : [];
  });
  return { locations, warnings };
}

/** A row for the sink; one from an `extraContacts:` file (its `dn` names it) carries its source. */
function exportRow(
  bucket: Bucket | undefined,
  cells: string[],
  location: string,
  dn: string,
  id: string | undefined,
): ExportRow {
  const row: ExportRow = { cells, location, dn };
  if (id) row.id = id;
  if (bucket?.extras?.has(dn)) row.source = dn;
  return row;
}
