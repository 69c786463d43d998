import type { ResolvedConfig } from '../../config/types.js';
import type { ConnectionInfo } from '../../directory/types.js';
import { createDirectorySource, directoryEndpoints } from '../../directory/source.js';
import { AdsyncError, ConfigError } from '../../errors.js';
import { compareText } from '../../mapping/order.js';
import { exportContacts, type ExportEvent, type ExportWarning } from '../../pipeline/export.js';
import { droppedByFilter, rowKey } from './filtered.js';
import { configSecrets, secretKeepingWarnings, SecretsInData } from './secrets.js';
import type { VendorCheck } from './vendor.js';

/** Reachability of one configured URL (a server, or a file as a URL). */
export interface UrlCheck {
  /** The URL. */
  url: string;
  /** What was found, in the source's words ("reachable, TLSv1.3, bound as …", "readable LDIF file"). */
  summary?: string;
  /** Whether connect (+TLS) and bind worked. */
  ok: boolean;
  /** Negotiated TLS version. */
  tlsVersion?: string | undefined;
  /** Who we bound as. */
  boundAs?: string;
  /** What failed. */
  error?: { code: string; message: string; hint?: string | undefined };
}

/** One location's count and preview, or why it could not be read. */
export interface LocationCheck {
  /** The location. */
  slug: string;
  /** Valid rows. */
  rows: number;
  /** Rejected rows. */
  rejected: number;
  /** Of the valid rows, those from `extraContacts:` files. */
  extraContacts?: number;
  /** The first rows. */
  preview: string[][];
  /** People `directory.filter` leaves out who would be valid rows without it. */
  droppedByFilter?: number;
  /** Why it could not be read (its search or group failed); the other locations still are. */
  error?: { code: string; message: string; hint?: string | undefined };
}

/** What `adsync check` found. */
export interface CheckResult {
  /** The config file. */
  configPath: string;
  /** Each URL on its own. */
  urls: UrlCheck[];
  /** Per location: count and a preview, or what failed when it could not be read. */
  locations: LocationCheck[];
  /** Header row of the preview. */
  headers: string[];
  /** Warnings from mapping. */
  warnings: ExportWarning[];
  /** The server used for the preview. */
  connection?: ConnectionInfo;
  /** The vendor side (vendor.ts), filled in by the command. */
  vendor?: VendorCheck;
  /** Why no location could be read (the directory as a whole: connect, TLS, bind), said once. */
  error?: { code: string; message: string; hint?: string | undefined };
}

/** Options for {@link check}. */
export interface CheckOptions {
  /** Rows shown per location. */
  previewRows: number;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
}

/**
 * Check a config against the real directory without writing anything: each endpoint's
 * reachability (a server's TLS version and bind, a file's), then each location's count and first mapped rows.
 * @param config the resolved config
 * @param options preview size and progress
 * @throws {AdsyncError} when the directory cannot be read at all
 */
export async function check(config: ResolvedConfig, options: CheckOptions): Promise<CheckResult> {
  const urls: UrlCheck[] = [];
  for (const url of directoryEndpoints(config.directory)) {
    const probe = createDirectorySource(config.directory, url);
    try {
      const info = await probe.open();
      urls.push({ url, ok: true, tlsVersion: info.tlsVersion, boundAs: info.boundAs, summary: info.checked });
    } catch (error) {
      if (!(error instanceof AdsyncError)) throw error;
      urls.push({ url, ok: false, error: errorOf(error) });
    } finally {
      await probe.close();
    }
  }
  const secrets = configSecrets(config);
  const result: CheckResult = {
    configPath: config.filepath,
    urls,
    locations: [],
    headers: config.layout.headers,
    // How the secrets are kept; whether one is also directory data is known after the read.
    warnings: secretKeepingWarnings(config, secrets).map((message) => ({ message })),
  };
  if (!urls.some((u) => u.ok)) return result;
  let inData = new SecretsInData(secrets);
  try {
    const kept = new Set<string>();
    const found = await previewLocations(config, options, inData, kept);
    const dropped = await droppedByFilter(config, kept);
    for (const l of found.locations) {
      const count = dropped.counts.get(l.slug);
      if (count !== undefined) l.droppedByFilter = count;
    }
    Object.assign(result, {
      connection: found.connection,
      locations: found.locations,
      warnings: [...result.warnings, ...found.noLocation, ...found.warnings, ...dropped.warnings],
    });
  } catch (error) {
    // An unusable extraContacts file is the config's problem (exit 2), not a location's.
    if (!(error instanceof AdsyncError) || error instanceof ConfigError) throw error;
    if (WHOLE_DIRECTORY.has(error.code)) {
      result.error = errorOf(error);
      return result;
    }
    // One location failing must not hide the others: read each on its own to say which.
    const slugs = [...new Set(config.locations.map((l) => l.slug))].sort(compareText);
    result.locations = [];
    inData = new SecretsInData(secrets);
    let saidNoLocation = false;
    for (const slug of slugs) {
      const one = { ...config, locations: config.locations.filter((l) => l.slug === slug) };
      try {
        const found = await previewLocations(one, options, inData);
        if (found.connection) result.connection ??= found.connection;
        // Every location's read loads the files again: their location-less rows are said once.
        if (!saidNoLocation) result.warnings.push(...found.noLocation);
        saidNoLocation = true;
        result.warnings.push(...found.warnings);
        result.locations.push(...found.locations);
      } catch (failure) {
        if (!(failure instanceof AdsyncError)) throw failure;
        if (WHOLE_DIRECTORY.has(failure.code)) {
          result.error = errorOf(failure);
          return result;
        }
        result.locations.push({ slug, rows: 0, rejected: 0, preview: [], error: errorOf(failure) });
      }
    }
  }
  result.warnings.push(...inData.warnings().map((message) => ({ message })));
  return result;
}

/** Failures of the directory as a whole, not of one location: said once, not per location. */
const WHOLE_DIRECTORY = new Set(['LDAP_CONNECT', 'LDAP_TLS', 'LDAP_BIND', 'LDAP_KERBEROS']);

function errorOf(error: AdsyncError): NonNullable<UrlCheck['error']> {
  return { code: error.code, message: error.message, hint: error.hint };
}

/**
 * Export the config's locations, keeping only each location's first rows.
 * @param config the resolved config (all its locations, or one)
 * @param options preview size and progress
 * @param inData told every row, to find the config's secrets in directory data
 * @param kept when given, told each valid row's {@link rowKey}
 */
async function previewLocations(
  config: ResolvedConfig,
  options: CheckOptions,
  inData: SecretsInData,
  kept?: Set<string>,
): Promise<Pick<CheckResult, 'connection' | 'warnings' | 'locations'> & { noLocation: ExportWarning[] }> {
  // Only the first rows of each location are kept for the preview; the rest stream past.
  const previews = new Map<string, string[][]>();
  const exported = await exportContacts(config, {
    onEvent: options.onEvent,
    sink: {
      row: ({ cells, location, dn }) => {
        inData.row(cells);
        kept?.add(rowKey(location, dn));
        let preview = previews.get(location);
        if (!preview) previews.set(location, (preview = []));
        if (preview.length < options.previewRows) preview.push(cells);
      },
    },
  });
  // A file row naming no configured location is no location's reject: said on its own.
  const { rejected, rejectedSample } = exported.noLocation;
  const noLocation: ExportWarning[] = rejectedSample.map((r) => ({
    dn: r.dn,
    message: `rejected, in no location: ${r.reasons.join('; ')}`,
  }));
  if (rejected > rejectedSample.length)
    noLocation.push({
      message: `and ${rejected - rejectedSample.length} more extraContacts rows naming no configured location (all are in the rejects of a push)`,
    });
  return {
    connection: exported.connection,
    noLocation,
    warnings: [
      ...exported.warnings,
      ...(exported.warningsOmitted > 0
        ? [{ message: `and ${exported.warningsOmitted} more warnings about single rows (not listed)` }]
        : []),
    ],
    locations: exported.locations.map((l) => ({
      slug: l.slug,
      rows: l.rows,
      rejected: l.rejected,
      extraContacts: l.extraContacts,
      preview: previews.get(l.slug) ?? [],
    })),
  };
}
