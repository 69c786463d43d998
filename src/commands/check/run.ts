import type { ResolvedConfig } from '../../config/types.js';
import type { ConnectionInfo } from '../../directory/types.js';
import { createDirectorySource } from '../../directory/source.js';
import { AdsyncError } from '../../errors.js';
import { exportContacts, type ExportEvent, type ExportWarning } from '../../pipeline/export.js';
import type { VendorCheck } from './vendor.js';

/** Reachability of one configured URL. */
export interface UrlCheck {
  /** The URL. */
  url: string;
  /** Whether connect (+TLS) and bind worked. */
  ok: boolean;
  /** Negotiated TLS version. */
  tlsVersion?: string | undefined;
  /** Who we bound as. */
  boundAs?: string;
  /** What failed. */
  error?: { code: string; message: string; hint?: string | undefined };
}

/** What `adsync check` found. */
export interface CheckResult {
  /** The config file. */
  configPath: string;
  /** Each URL on its own. */
  urls: UrlCheck[];
  /** Per location: count and a preview, when the directory could be read. */
  locations: { slug: string; rows: number; rejected: number; preview: string[][] }[];
  /** Header row of the preview. */
  headers: string[];
  /** Warnings from mapping. */
  warnings: ExportWarning[];
  /** The server used for the preview. */
  connection?: ConnectionInfo;
  /** The vendor side (vendor.ts), filled in by the command. */
  vendor?: VendorCheck;
}

/** Options for {@link check}. */
export interface CheckOptions {
  /** Rows shown per location. */
  previewRows: number;
  /** Progress callback. */
  onEvent?: ((event: ExportEvent) => void) | undefined;
}

/**
 * Check a config against the real directory without writing anything: each URL's reachability,
 * TLS version and bind, then each location's count and first mapped rows.
 * @param config the resolved config
 * @param options preview size and progress
 * @throws {AdsyncError} when the directory cannot be read at all
 */
export async function check(config: ResolvedConfig, options: CheckOptions): Promise<CheckResult> {
  const urls: UrlCheck[] = [];
  for (const url of config.directory.urls) {
    const probe = createDirectorySource(config.directory, [url]);
    try {
      const info = await probe.open();
      urls.push({ url, ok: true, tlsVersion: info.tlsVersion, boundAs: info.boundAs });
    } catch (error) {
      if (!(error instanceof AdsyncError)) throw error;
      urls.push({ url, ok: false, error: { code: error.code, message: error.message, hint: error.hint } });
    } finally {
      await probe.close();
    }
  }
  const result: CheckResult = {
    configPath: config.filepath,
    urls,
    locations: [],
    headers: config.layout.headers,
    warnings: [],
  };
  if (!urls.some((u) => u.ok)) return result;
  // Only the first rows of each location are kept for the preview; the rest stream past.
  const previews = new Map<string, string[][]>();
  const exported = await exportContacts(config, {
    onEvent: options.onEvent,
    sink: {
      row: ({ cells, location }) => {
        let preview = previews.get(location);
        if (!preview) previews.set(location, (preview = []));
        if (preview.length < options.previewRows) preview.push(cells);
      },
    },
  });
  result.connection = exported.connection;
  result.warnings = exported.warnings;
  result.locations = exported.locations.map((l) => ({
    slug: l.slug,
    rows: l.rows,
    rejected: l.rejected.length,
    preview: previews.get(l.slug) ?? [],
  }));
  return result;
}
