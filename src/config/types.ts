import type { CountryCode } from 'libphonenumber-js';

import type { DirectorySettings, SearchScope } from '../directory/types.js';
import type { ColumnSet } from '../mapping/columns.js';
import type { ConfigInput, LOG_LEVELS, NOTIFY_EVENTS } from './schema.js';

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

/** One configured location entry (entries sharing a slug form one location). */
export interface LocationConfig {
  /** Position in `locations:`, for messages. */
  index: number;
  /** Slug written to the location column; '' = all locations. */
  slug: string;
  /** Search bases. */
  ous: string[];
  /** Group DNs: only their members belong here. */
  groups: string[];
  /** Search scope. */
  scope: SearchScope;
  /** Membership through nested groups (AD in-chain matching rule). */
  nested: boolean;
}

/** The config after validation, defaults and path resolution: what the rest of adsync uses. */
export interface ResolvedConfig {
  /** The config file. */
  filepath: string;
  /** Directory settings. */
  directory: DirectorySettings;
  /** Location entries in config order. */
  locations: LocationConfig[];
  /** Upload target settings. */
  target: ConfigInput['target'];
  /** The CSV layout. */
  layout: ColumnSet;
  /** Phone number reading. */
  phone: { defaultCountry: CountryCode | undefined };
  /** Output files. */
  output: { dir: string; keep: number; bom: boolean };
  /** Guards against mass archiving. */
  safety: {
    maxArchive: number;
    maxArchivePercent: number;
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
  notify: { webhook: string; on: NotifyEvent[]; caFile: string | undefined } | undefined;
}
