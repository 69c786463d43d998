import type { CountryCode } from 'libphonenumber-js';

import type { DirectorySettings } from '../directory/source.js';
import type { LocationConfig } from '../directory/types.js';
import type { ColumnSet } from '../mapping/columns.js';
import type { ConfigInput, LOG_LEVELS, NOTIFY_EVENTS } from './schema.js';
import type { MissingSecret } from './secrets.js';

/** The `target:` section as written. */
type TargetInput = ConfigInput['target'];

/**
 * The config as the rest of adsync sees it. Types only (nothing here runs), so any folder can
 * import them without loading the config stage's libraries.
 */

/** One problem found in a config file, located by its key path. */
export interface ConfigIssue {
  /** Key path inside the file, e.g. ['locations', 0, 'ous']. */
  path: (string | number)[];
  /** What is wrong and what is expected. */
  message: string;
}

/** A level of the JSON-lines log. */
export type LogFileLevel = (typeof LOG_LEVELS)[number];
/** A run outcome that can be notified. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** One configured location entry (directory/types.ts: its selection is the source's to read). */
export type { LocationConfig };

/** The config after validation, defaults and path resolution: what the rest of adsync uses. */
export interface ResolvedConfig {
  /** The config file. */
  filepath: string;
  /** The `${file:}` files the config read its secrets from (absolute). */
  secretFiles: string[];
  /** Directory settings: one variant per kind of source (directory/source.ts). */
  directory: DirectorySettings;
  /** Location entries in config order. */
  locations: LocationConfig[];
  /** Upload target settings, defaults applied (config/target.ts). */
  target: ResolvedTarget;
  /** The CSV layout. */
  layout: ColumnSet;
  /**
   * `extraContacts:` files (absolute paths, config order), and every configured location slug
   * (a read of some locations, as `check` does after a failure, still knows all of them).
   */
  extraContacts: { files: string[]; slugs: string[] };
  /** Phone number reading. */
  phone: { defaultCountry: CountryCode | undefined };
  /** Output files. */
  output: { dir: string; keep: number; bom: boolean };
  /** Guards against mass archiving. */
  safety: {
    maxArchive: number;
    maxArchivePercent: number;
    /** Archives (per location and overall) that never trip maxArchivePercent: small sites. */
    archiveFloor: number;
    /** Renames (new email or SMS phone of the same directory entry) one push may make. */
    maxRename: number;
    maxRenamePercent: number;
    /** Renames that never trip maxRenamePercent. */
    renameFloor: number;
    mustInclude: string[];
    lockTimeoutMinutes: number;
  };
  /** Where state, locks and history live. */
  stateDir: string;
  /** When scheduled runs happen (undefined: no `schedule:` section). */
  schedule:
    | {
        cron: string;
        timezone: string | undefined;
        randomDelayMs: number;
        statusFile: string;
      }
    | undefined;
  /** Longest a run may take, in ms (`schedule.timeoutMinutes`, default 30 min). */
  runTimeoutMs: number;
  /** The JSON-lines log file, if any. */
  logging: { file: string; level: LogFileLevel; maxBytes: number; keep: number } | undefined;
  /** Failure notifications, if any. */
  notify:
    { webhook: string; on: NotifyEvent[]; caFile: string | undefined; trustSystemStore: boolean } | undefined;
}

/**
 * The upload target after defaults and path resolution. Endpoints and credentials may still be
 * missing (a dry run needs none); the upload checks them when it is about to send.
 */
export interface ResolvedTarget {
  /** Vendor CSV layout. */
  profile: TargetInput['profile'];
  /** custom profile: the column that receives the location slug. */
  locationColumn: string | undefined;
  /** Upload endpoint (iLobby's by default for profile ilobby). */
  uploadUrl: string | undefined;
  /** OAuth2 token endpoint (iLobby's by default for profile ilobby); unused with an API key. */
  tokenUrl: string | undefined;
  /** OAuth2 client id. */
  clientId: string | undefined;
  /** OAuth2 client secret. */
  clientSecret: string | undefined;
  /** OAuth2 scope. */
  scope: string | undefined;
  /** How the client id and secret reach the token endpoint. */
  auth: NonNullable<TargetInput['auth']>;
  /** Static API key (instead of an OAuth2 client). */
  apiKey: string | undefined;
  /** Header that carries the API key. */
  apiKeyHeader: string;
  /** multipart/form-data or a raw text/csv body. */
  format: NonNullable<TargetInput['format']>;
  /** Multipart field that carries the CSV. */
  fileField: string;
  /** Absolute path of a PEM CA file trusted besides Node's roots and the system store. */
  caFile: string | undefined;
  /** Trust the operating system's certificate store (target.trustSystemStore, default yes). */
  trustSystemStore: boolean;
  /** Lowest TLS version. */
  tlsMinVersion: NonNullable<TargetInput['tlsMinVersion']>;
  /** Configured proxy URL (a secret: it may hold a password); HTTPS_PROXY otherwise. */
  proxy: string | undefined;
  /** Retries of a failed upload. */
  retries: { attempts: number; deadlineMs: number; baseDelayMs: number };
  /** Connect/headers/body timeout in ms. */
  timeoutMs: number;
  /** An accepted upload is answered with an empty body (no summary). */
  expectEmptyResponse: boolean;
  /**
   * `${env:}`/`${file:}` references of the target that are not resolved (their keys are unset
   * above): inspecting needs none of them; an upload refuses, naming each (upload/settings.ts).
   */
  missing: MissingSecret[];
}
