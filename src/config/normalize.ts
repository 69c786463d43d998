import { dirname, resolve } from 'node:path';

import { isSupportedCountry } from 'libphonenumber-js';

import { resolveDirectory } from '../directory/source.js';
import { emailKey } from '../mapping/cells.js';
import { compileLayout } from '../vendors/registry.js';
import type { ConfigInput } from './schema.js';
import type { MissingSecret } from './secrets.js';
import { normalizeTarget } from './target.js';
import type { ConfigIssue, LocationConfig, ResolvedConfig } from './types.js';

/**
 * Archives (or renames) per location and overall that never trip the percent limits. At a site
 * of 9 one leaver is 11%, over the 10% limit: without a floor every small site's ordinary night
 * would stop the push. 2 lets a small site lose one or two people, while a site of 40 losing 12
 * (30%), or of 20 losing 3 (15%), still stops; an emptied site is the empty-location guard's.
 */
const DEFAULT_FLOOR = 2;

/**
 * Stage 2 of validation: apply defaults and resolve paths against the config file's directory
 * (so cron and Task Scheduler runs do not depend on the working directory). The cross-field
 * rules are stage 3 (`rules.ts`); the issues returned here are the column layout's, found while
 * compiling it.
 * @param input the schema-valid config
 * @param filepath the config file
 * @param missing the target's references that are not resolved (see secrets.ts)
 * @param secretFiles the `${file:}` files the config read (see secrets.ts)
 */
export function normalizeConfig(
  input: ConfigInput,
  filepath: string,
  missing: readonly MissingSecret[] = [],
  secretFiles: readonly string[] = [],
): { config: ResolvedConfig; issues: ConfigIssue[] } {
  const baseDir = dirname(filepath);
  const directory = resolveDirectory(input.directory, baseDir);
  const locations = input.locations.map((l, index): LocationConfig => ({
    index,
    slug: l.slug ?? '',
    ous: l.ous ?? [],
    groups: l.groups ?? [],
    scope: l.scope ?? 'sub',
    nested: l.nested ?? directory.nestedGroups,
  }));
  const country = input.phone?.defaultCountry;
  const stateDir = stateDirOf(input, baseDir);
  const target = normalizeTarget(input.target, baseDir, missing);
  const { set, issues } = compileLayout({
    profile: input.target.profile,
    locationColumn: input.target.locationColumn,
    kind: directory.flavor,
    columns: input.columns,
  });
  return {
    config: {
      filepath,
      secretFiles: [...secretFiles],
      directory,
      locations,
      target: target.target,
      layout: set,
      extraContacts: {
        // A file listed twice is read once (its rows would otherwise all be duplicates).
        files: [
          ...new Set(
            (typeof input.extraContacts === 'string'
              ? [input.extraContacts]
              : (input.extraContacts ?? [])
            ).map((file) => resolve(baseDir, file)),
          ),
        ],
        slugs: [...new Set(locations.map((l) => l.slug))],
      },
      phone: { defaultCountry: country !== undefined && isSupportedCountry(country) ? country : undefined },
      safety: safetySettings(input.safety),
      stateDir,
      ...runSettings(input, baseDir, stateDir),
    },
    issues: [...target.issues, ...issues],
  };
}

/** The guards' limits, defaults applied. */
function safetySettings(safety: ConfigInput['safety']): ResolvedConfig['safety'] {
  return {
    maxArchive: safety?.maxArchive ?? 25,
    maxArchivePercent: safety?.maxArchivePercent ?? 10,
    archiveFloor: safety?.archiveFloor ?? DEFAULT_FLOOR,
    maxRename: safety?.maxRename ?? 25,
    maxRenamePercent: safety?.maxRenamePercent ?? 10,
    renameFloor: safety?.renameFloor ?? DEFAULT_FLOOR,
    mustInclude: (safety?.mustInclude ?? []).map(emailKey),
    lockTimeoutMinutes: safety?.lockTimeoutMinutes ?? 120,
  };
}

/**
 * The state directory, resolved against the config's folder.
 * @param input the config's `state` section
 * @param baseDir the config file's folder
 */
export function stateDirOf(input: Pick<ConfigInput, 'state'>, baseDir: string): string {
  return resolve(baseDir, input.state?.dir ?? './adsync-state');
}

/**
 * How runs happen and what they leave: schedule, time limit, log, notifications, output files.
 * @param input the config's run sections
 * @param baseDir the config file's folder
 * @param stateDir the state directory
 */
export function runSettings(
  input: Pick<ConfigInput, 'schedule' | 'logging' | 'notify' | 'output'>,
  baseDir: string,
  stateDir: string,
): Pick<ResolvedConfig, 'schedule' | 'runTimeoutMs' | 'logging' | 'notify' | 'output'> {
  return {
    schedule: input.schedule && {
      cron: input.schedule.cron,
      timezone: input.schedule.timezone,
      randomDelayMs: Math.round((input.schedule.randomDelayMinutes ?? 0) * 60_000),
      statusFile:
        input.schedule.statusFile === undefined
          ? resolve(stateDir, 'schedule-status.json')
          : resolve(baseDir, input.schedule.statusFile),
    },
    runTimeoutMs: Math.round((input.schedule?.timeoutMinutes ?? 30) * 60_000),
    logging: input.logging && {
      file: resolve(baseDir, input.logging.file),
      level: input.logging.level ?? 'info',
      maxBytes: Math.round((input.logging.maxSizeMB ?? 10) * 1024 * 1024),
      keep: input.logging.keep ?? 5,
    },
    notify: input.notify && {
      webhook: input.notify.webhook,
      on: input.notify.on ?? ['failure', 'guard'],
      caFile: input.notify.caFile === undefined ? undefined : resolve(baseDir, input.notify.caFile),
      trustSystemStore: input.notify.trustSystemStore ?? true,
    },
    output: {
      dir: resolve(baseDir, input.output?.dir ?? './adsync-output'),
      keep: input.output?.keep ?? 30,
      bom: input.output?.bom ?? false,
    },
  };
}
