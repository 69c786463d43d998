import type { ResolvedConfig } from '../config/normalize.js';
import { pruneRuns, runFiles, runStamp, writeCsv } from '../csv/writer.js';
import { uploadCsv, uploadSettings, type UploadEvent } from '../upload/client.js';
import type { ConnectionInfo } from '../directory/ldap-source.js';
import { exportContacts, type ExportEvent, type ExportWarning } from './export.js';

/** Options for {@link push}. */
export interface PushOptions {
  /** Stop before the upload. */
  dryRun: boolean;
  /** Explicit CSV path (`--output`). */
  output?: string | undefined;
  /** Run start, for file names. */
  now?: Date;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
  /** Allow http:// upload URLs on loopback. */
  insecureHttp?: boolean;
  /** Environment (HTTPS_PROXY, NO_PROXY). */
  env?: NodeJS.ProcessEnv;
  /** Upload progress. */
  onUploadEvent?: (event: UploadEvent) => void;
  /** Told every token, so output can redact it. */
  onToken?: (token: string) => void;
}

/** Per-location counts. */
export interface LocationSummary {
  /** Slug ('' = all locations). */
  slug: string;
  /** Rows written. */
  rows: number;
  /** Rows rejected. */
  rejected: number;
}

/** What a push did. */
export interface PushResult {
  /** Whether this was a dry run. */
  dryRun: boolean;
  /** The CSV written. */
  csvPath: string;
  /** The rejects CSV written. */
  rejectsPath: string;
  /** Rows in the CSV. */
  rows: number;
  /** Rows rejected. */
  rejected: number;
  /** Per location, in output order. */
  locations: LocationSummary[];
  /** Warnings about contacts. */
  warnings: ExportWarning[];
  /** Who was rejected and why (the cells are in the rejects file). */
  rejectedRows: { dn: string; location: string; reasons: string[] }[];
  /** The directory server used. */
  connection: ConnectionInfo;
  /** Directory entries read. */
  entriesRead: number;
  /** Search references ignored. */
  references: string[];
  /** Old run files removed by retention. */
  pruned: string[];
  /** The upload, unless this was a dry run. */
  upload?: { status: 'uploaded'; httpStatus: number; summary: unknown; attempts: number };
}

/**
 * The main job: read the directory, map and validate, write the CSV and the rejects file, and
 * (in a later version) upload. `--dry-run` and a real push share this one path.
 * @param config the resolved config
 * @param options dry run, output file, progress
 */
export async function push(config: ResolvedConfig, options: PushOptions): Promise<PushResult> {
  // Upload settings are checked before the directory is read: a config problem stops the run
  // before anything is done.
  const upload = options.dryRun
    ? undefined
    : uploadSettings(config, {
        insecureHttp: options.insecureHttp ?? false,
        env: options.env ?? process.env,
      });
  const started = options.now ?? new Date();
  const result = await exportContacts(config, { onEvent: options.onEvent });
  const files = runFiles({
    dir: config.output.dir,
    output: options.output,
    profile: config.layout.profile,
    stamp: runStamp(started),
  });
  await writeCsv(
    files.csvPath,
    result.headers,
    result.locations.flatMap((l) => l.rows),
    { bom: config.output.bom },
  );
  await writeCsv(
    files.rejectsPath,
    [...result.headers, 'Source DN', 'Reasons'],
    result.locations.flatMap((l) => l.rejected.map((r) => [...r.cells, r.dn, r.reasons.join('; ')])),
    { bom: config.output.bom },
  );
  const pruned = options.output === undefined ? await pruneRuns(config.output.dir, config.output.keep) : [];
  const locations = result.locations.map((l) => ({
    slug: l.slug,
    rows: l.rows.length,
    rejected: l.rejected.length,
  }));
  const uploaded = upload
    ? await uploadCsv(upload, files.csvPath, {
        onEvent: options.onUploadEvent,
        onToken: options.onToken ?? ((): void => undefined),
      })
    : undefined;
  return {
    ...(uploaded ? { upload: { status: 'uploaded' as const, ...uploaded } } : {}),
    dryRun: options.dryRun,
    ...files,
    rows: locations.reduce((n, l) => n + l.rows, 0),
    rejected: locations.reduce((n, l) => n + l.rejected, 0),
    locations,
    warnings: result.warnings,
    rejectedRows: result.locations.flatMap((l) =>
      l.rejected.map(({ dn, location, reasons }) => ({ dn, location, reasons })),
    ),
    connection: result.connection,
    entriesRead: result.entriesRead,
    references: result.references,
    pruned,
  };
}
