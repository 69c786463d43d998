import { isSupportedCountry } from 'libphonenumber-js';
import { validateDetailed } from 'node-cron';

import { directoryIssues } from '../directory/source.js';
import { quoteValue } from '../util/quote-value.js';
import { isFormulaLike } from '../util/spreadsheet.js';
import { urlCredentials } from '../util/url-secrets.js';
import type { ConfigInput } from './schema.js';
import type { ConfigIssue, ResolvedConfig } from './types.js';
import { runLimitProblem } from './run-limit.js';

/**
 * Stage 3 of validation: the rules that involve more than one key or more than the key's shape.
 * Each is a named function over the schema-valid input and its normalised form, returning the
 * issues it finds; every command that loads a config runs all of them, so `adsync check`,
 * `push --dry-run` and `push` agree on what is valid. Only checks that depend on a command-line
 * flag stay at their point of use.
 */

/** What a rule sees: the config as written (schema-valid) and as normalised. */
export interface RuleContext {
  /** The config as written, after the schema. */
  input: ConfigInput;
  /** The config with defaults applied and paths resolved. */
  config: ResolvedConfig;
}

/** One cross-field rule. */
export type ConfigRule = (context: RuleContext) => ConfigIssue[];

/** The `directory:` section and the locations' selections follow their source's rules. */
export function directorySource({ input, config }: RuleContext): ConfigIssue[] {
  return directoryIssues({
    input: input.directory,
    settings: config.directory,
    locationsInput: input.locations,
    locations: config.locations,
  });
}

/** Control, invisible and separator characters: a slug holding one names no vendor location. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const SLUG_UNSAFE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * "All locations" (no slug) cannot be mixed with named locations; a slug is written in every row
 * of its location, so it holds no control or invisible character and is no spreadsheet formula.
 */
export function locationSlugs({ input, config }: RuleContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [i, location] of input.locations.entries()) {
    const slug = location.slug ?? '';
    const unsafe = SLUG_UNSAFE.exec(slug);
    if (unsafe) {
      const code = (unsafe[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      issues.push({
        path: ['locations', i, 'slug'],
        message: `${quoteValue(slug)} contains the control or invisible character U+${code}; write the location's slug or site name as the vendor shows it`,
      });
    } else if (isFormulaLike(slug)) {
      issues.push({
        path: ['locations', i, 'slug'],
        message: `${quoteValue(slug)} starts like a spreadsheet formula, which the CSV never holds; write the location's slug or site name as the vendor shows it`,
      });
    }
  }
  const slugs = new Set(config.locations.map((l) => l.slug));
  if (slugs.has('') && slugs.size > 1)
    issues.push({
      path: ['locations'],
      message: 'a location without slug means "all locations" and cannot be mixed with slugged locations',
    });
  return issues;
}

/**
 * With several locations, a layout must say in which column each row's location goes (a vendor
 * profile has its own; a custom layout names it in target.locationColumn).
 */
export function customLocationColumn({ config }: RuleContext): ConfigIssue[] {
  const slugs = new Set(config.locations.map((l) => l.slug));
  return config.layout.locationIndex === undefined && slugs.size > 1
    ? [
        {
          path: ['target', 'locationColumn'],
          message:
            'the custom profile has several locations but no locationColumn: rows would not say their location',
        },
      ]
    : [];
}

/** The default phone country must be one libphonenumber can read numbers of. */
export function phoneCountry({ input }: RuleContext): ConfigIssue[] {
  const country = input.phone?.defaultCountry;
  return country !== undefined && !isSupportedCountry(country)
    ? [
        {
          path: ['phone', 'defaultCountry'],
          message: `${country} is not a country code libphonenumber knows`,
        },
      ]
    : [];
}

/** The schedule must be a cron expression node-cron runs, in a time zone this system knows. */
export function scheduleTimes({ input }: RuleContext): ConfigIssue[] {
  const schedule = input.schedule;
  if (!schedule) return [];
  const { cron, timezone } = schedule;
  const issues: ConfigIssue[] = [];
  const checked = validateDetailed(cron);
  if (!checked.valid) {
    issues.push({
      path: ['schedule', 'cron'],
      message: `"${cron}" is not a cron expression node-cron accepts: ${checked.errors.map((e) => e.message).join('; ')} (use minute hour day-of-month month day-of-week, e.g. "0 6 * * *")`,
    });
  }
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: timezone });
    } catch {
      issues.push({
        path: ['schedule', 'timezone'],
        message: `"${timezone}" is not an IANA time zone this system knows (e.g. America/Toronto, Europe/Paris, UTC)`,
      });
    }
  }
  return issues;
}

/** Notifications carry run details: they go over TLS like the upload. */
export function notifyOverTls({ input }: RuleContext): ConfigIssue[] {
  return input.notify && !/^https:/i.test(input.notify.webhook)
    ? [
        {
          path: ['notify', 'webhook'],
          message:
            'the webhook must be an https:// URL (notifications follow the same TLS rules as the upload)',
        },
      ]
    : [];
}

/**
 * No credential inside a URL: `https://user:PW@vendor/…` or `?client_secret=…` would reach
 * check's output, reports, logs and the history. The message never repeats the URL. (A
 * directory URL is its source's rule.)
 */
export function credentialsInUrls({ input }: RuleContext): ConfigIssue[] {
  const urls: [(string | number)[], string, string][] = [
    ...(['uploadUrl', 'tokenUrl'] as const).flatMap((key): [(string | number)[], string, string][] => {
      const url = input.target[key];
      return url === undefined
        ? []
        : [[['target', key], url, 'target.clientId and target.clientSecret (or target.apiKey)']];
    }),
  ];
  return urls.flatMap(([path, url, keys]) => {
    const found = urlCredentials(url);
    const what = [
      found.user || found.password !== undefined ? 'a user name or password (user:password@)' : '',
      found.params.length > 0 ? `a credential in its query (${found.params.join(', ')})` : '',
    ].filter(Boolean);
    return what.length === 0
      ? []
      : [
          {
            path,
            message: `holds ${what.join(' and ')}: remove it from the URL and use ${keys}, which adsync keeps out of every output`,
          },
        ];
  });
}

/** 90000 → "1.5 min". */
/** The run time limit (`schedule.timeoutMinutes`, default 30) ends before the lock times out. */
export function runLimitWithinLock({ input, config }: RuleContext): ConfigIssue[] {
  const set = input.schedule?.timeoutMinutes !== undefined;
  const problem = runLimitProblem(
    {
      ms: config.runTimeoutMs,
      name: set ? 'schedule.timeoutMinutes' : 'the default of schedule.timeoutMinutes',
    },
    config.safety.lockTimeoutMinutes,
  );
  if (problem === undefined) return [];
  return [
    {
      path: set ? ['schedule', 'timeoutMinutes'] : ['safety', 'lockTimeoutMinutes'],
      message: problem,
    },
  ];
}

/** Every cross-field rule, in the order their issues are listed. */
export const CONFIG_RULES: readonly ConfigRule[] = [
  directorySource,
  locationSlugs,
  customLocationColumn,
  phoneCountry,
  scheduleTimes,
  notifyOverTls,
  credentialsInUrls,
  runLimitWithinLock,
];

/**
 * Run every rule of {@link CONFIG_RULES}.
 * @param context the config as written and as normalised
 */
export function checkRules(context: RuleContext): ConfigIssue[] {
  return CONFIG_RULES.flatMap((rule) => rule(context));
}
