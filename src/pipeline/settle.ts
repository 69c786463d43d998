import { join } from 'node:path';

import type { ResolvedConfig } from '../config/types.js';
import { LineBuffer } from '../io/line-buffer.js';
import { compareText } from '../mapping/order.js';
import { displayName } from '../plan/identity.js';
import { EmailAcrossLocations } from './email-across.js';
import { OneSitePerEmail } from './one-site.js';
import {
  applyLosses,
  parkLocation,
  watchDuplicate,
  type KeyHistory,
  type SettledRow,
} from './settle-location.js';
import type { Bucket, DirectoryRead } from './read.js';
import { REJECT_SAMPLE, type RejectStore, type RowWarnings } from './rejects.js';
import type { ExportResult, ExportRow, ExportSink, ExportWatch, LocationOutput } from './types.js';

/**
 * Phase two for one location: park its sorted rows and settle the unique values several rows
 * hold (see {@link parkLocation}), then pass the rows on in order, each with the values it keeps,
 * through iLobby's one-site rule and the cross-location email check.
 * @param bucket the location as read
 * @param layout the column layout
 * @param work the run's private working directory
 * @param rules the one-site rule (iLobby), the email check (the others), the last push
 * @param pass receives the rows that are sent
 * @param watch told the duplicate and one-site fates of watched rows
 * @returns the location's counts (its rows rejected as duplicates went to `rules.rejects`)
 */
async function settleLocation(
  bucket: Bucket,
  layout: ResolvedConfig['layout'],
  work: string,
  rules: Rules,
  pass: (row: SettledRow) => Promise<void> | void,
  watch: ExportWatch | undefined,
): Promise<Omit<LocationOutput, 'rejected' | 'rejectedSample'>> {
  const { oneSite, across } = rules;
  const { parked, losses, sharing } = await parkLocation(bucket, layout, work, rules.history);
  const who = (n: number): string => {
    const row = sharing.get(n);
    return row ? `${displayName(layout, row.cells)} (${row.dn})` : '?';
  };
  const kept = oneSite ? new LineBuffer(`${parked.file.path}.kept`) : undefined;
  if (oneSite && kept) oneSite.begin(bucket.slug, kept.path);
  across?.begin(bucket.slug, parked.file);
  const { rejects, warnings } = rules;
  let rows = 0;
  let extraContacts = 0;
  let n = 0;
  try {
    for await (const line of parked.file.lines()) {
      const [dn, cells, id] = JSON.parse(line) as [string, string[], string | null];
      const row: SettledRow = { dn, cells, id: id ?? undefined };
      const lost = losses.get(n++);
      const extra = bucket.extras?.has(dn) === true;
      if (lost) {
        const out = applyLosses(layout, bucket, row, lost, who);
        if ('rejected' in out) {
          await rejects.add(bucket.slug, out.rejected);
          watchDuplicate(watch, out.rejected, lost, (k) => sharing.get(k)?.dn ?? '');
          across?.note(undefined, dn, extra);
          continue;
        }
        warnings.add(...out.warnings);
      }
      if (oneSite) {
        if (!oneSite.claim(row.cells, bucket.slug)) {
          if (watch?.wants(dn) === true)
            watch.oneSite({ cells: row.cells, location: bucket.slug, dn }, oneSite.keeperOf(row.cells));
          continue;
        }
        await kept?.append(JSON.stringify([dn, oneSite.emailOf(row.cells)]));
      }
      across?.note(row.cells, dn, extra);
      rows++;
      if (extra) extraContacts++;
      await pass(row);
    }
  } finally {
    await kept?.close();
  }
  return { slug: bucket.slug, rows, extraContacts };
}

/** The rules a location is settled by, besides its own duplicates. */
interface Rules {
  /** iLobby's one site per email, across locations. */
  oneSite?: OneSitePerEmail | undefined;
  /** The same email for different people in different locations (the other profiles). */
  across?: EmailAcrossLocations | undefined;
  /** The last push: who held each shared value. */
  history?: KeyHistory | undefined;
  /** Where the rows rejected as duplicates go. */
  rejects: RejectStore;
  /** Where the warnings about rows that lose a shared value go. */
  warnings: RowWarnings;
}

/**
 * Phase two for every location: settle each one and send its rows to the sink, locations in
 * output order (by slug). For a vendor with one site per email (iLobby) locations are settled in config order, so
 * the first matching location keeps a contact, and their rows are parked in a run file until all
 * are settled. Then every rejected row goes to the sink, locations in the same order; only counts and a
 * sample of them stay in memory.
 * @param config the resolved config
 * @param read the locations as read, their rejected rows, and the warnings (settling adds its own)
 * @param work the run's private working directory
 * @param sink receives the rows
 * @param watch told the duplicate and one-site fates of watched rows
 * @param history the last push, when there is one: who keeps a value several rows hold
 * @returns the locations in output order, and the rejected rows that name no configured location
 */
export async function settleLocations(
  config: ResolvedConfig,
  read: Pick<DirectoryRead, 'buckets' | 'rejects' | 'warnings'>,
  work: string,
  sink: ExportSink,
  watch?: ExportWatch,
  history?: KeyHistory,
): Promise<Pick<ExportResult, 'locations' | 'noLocation'>> {
  const layout = config.layout;
  const { buckets, rejects, warnings } = read;
  const slugs = [...buckets.keys()].sort(compareText);
  const outputs = new Map<string, Omit<LocationOutput, 'rejected' | 'rejectedSample'>>();
  const settle = async (
    bucket: Bucket,
    rules: Omit<Rules, 'rejects' | 'warnings'>,
    pass: (row: SettledRow) => Promise<void> | void,
  ): Promise<void> => {
    outputs.set(
      bucket.slug,
      await settleLocation(bucket, layout, work, { ...rules, rejects, warnings }, pass, watch),
    );
  };
  if (layout.rules.oneSitePerEmail) {
    const configOrder = [...new Set(config.locations.map((l) => l.slug))];
    const rule = new OneSitePerEmail(layout.roles.email ?? 0);
    const settled = new Map<string, LineBuffer>();
    for (const slug of configOrder) {
      const bucket = buckets.get(slug);
      if (!bucket) continue;
      const file = new LineBuffer(join(work, `settled-${settled.size}`));
      settled.set(slug, file);
      try {
        await settle(bucket, { oneSite: rule, history }, (row) =>
          file.append(JSON.stringify([row.dn, row.cells, row.id])),
        );
      } finally {
        await file.close();
      }
    }
    warnings.add(...(await rule.warnings()));
    for (const slug of slugs) {
      const file = settled.get(slug);
      if (file === undefined) continue;
      for await (const line of file.lines()) {
        const [dn, cells, id] = JSON.parse(line) as [string, string[], string | undefined];
        await sink.row(exportRow(buckets.get(slug), cells, slug, dn, id));
      }
    }
  } else {
    const across = layout.roles.email === undefined ? undefined : new EmailAcrossLocations(layout);
    for (const slug of slugs) {
      const bucket = buckets.get(slug);
      if (!bucket) continue;
      await settle(bucket, { across, history }, (row) =>
        sink.row(exportRow(bucket, row.cells, slug, row.dn, row.id)),
      );
    }
    warnings.add(...((await across?.warnings()) ?? []));
  }
  const locations: LocationOutput[] = [];
  for (const slug of slugs) {
    const output = outputs.get(slug);
    if (!output) continue;
    locations.push({ ...output, ...(await passRejects(rejects, slug, sink)) });
  }
  return { locations, noLocation: await passRejects(rejects, null, sink) };
}

/** Every rejected row of one location (or of none) to the sink; a count and a sample kept. */
async function passRejects(
  rejects: RejectStore,
  slug: string | null,
  sink: ExportSink,
): Promise<Pick<LocationOutput, 'rejected' | 'rejectedSample'>> {
  const kept: Pick<LocationOutput, 'rejected' | 'rejectedSample'> = { rejected: 0, rejectedSample: [] };
  for await (const row of rejects.rows(slug)) {
    if (kept.rejected++ < REJECT_SAMPLE) kept.rejectedSample.push(row);
    await sink.rejected?.(row);
  }
  return kept;
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
