import { z } from 'zod';

import { describeKinds, sourceKeys, sourceKinds } from '../directory/source.js';
import { SEARCH_SCOPES, TLS_VERSIONS } from '../directory/types.js';
import { FORMATS, MULTI_MODES, type ColumnInput } from '../mapping/types.js';
import { PROFILE_NAMES } from '../vendors/names.js';

/**
 * The config file's schema (stage 1 of validation: shape and types). Normalisation and
 * cross-field rules live in `normalize.ts`. Every object is strict so that a typo is an error
 * with a suggestion, not a silently ignored key.
 */

/** Levels of the JSON-lines log. */
export const LOG_LEVELS = ['info', 'debug'] as const;
/** Run outcomes a notification can be sent for. */
export const NOTIFY_EVENTS = ['failure', 'guard', 'success'] as const;
/** How the OAuth2 client id and secret are sent to the token endpoint. */
export const TOKEN_AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const;
/** How the CSV is sent to the upload endpoint. */
export const UPLOAD_FORMATS = ['multipart', 'raw'] as const;

const formatSchema = z.enum(FORMATS);

/** A column mapping in object form. Exactly one of `from`, `template`, `value`. */
const columnObjectSchema = z
  .strictObject({
    from: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('Attribute name, or a list of attributes tried in order (first non-empty wins).'),
    template: z.string().optional().describe('A template such as "{givenName} {sn}".'),
    value: z.string().optional().describe('A constant value for every row.'),
    format: z
      .union([formatSchema, z.array(formatSchema)])
      .optional()
      .describe(
        'Formats applied in order: phone (E.164), phone-national (national digits at home, E.164 abroad), lower, upper, trim, digits, guid, sid.',
      ),
    multi: z
      .enum(MULTI_MODES)
      .optional()
      .describe('Multi-valued attributes: take the first value (default) or join them all.'),
    separator: z.string().optional().describe('Separator for multi: join (default "; ").'),
    required: z.boolean().optional().describe('Reject rows where this column is empty (custom profile).'),
    unique: z
      .boolean()
      .optional()
      .describe('Reject later rows repeating this value in a location (custom profile).'),
    maxLength: z
      .number()
      .int()
      .min(1)
      .max(1_048_576)
      .optional()
      .describe("Longest value in characters, replacing the column's own limit (255 for most columns)."),
  })
  .refine(
    (c) => [c.from, c.template, c.value].filter((v) => v !== undefined).length === 1,
    'give exactly one of "from", "template" or "value"',
  );

/**
 * A column mapping: an attribute name, a template (a string containing `{attr}`), a list of
 * fallback attributes, or the object form. Typed as mapping's own input shape, so the two cannot
 * drift apart.
 */
const columnSchema: z.ZodType<ColumnInput> = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  columnObjectSchema,
]);

/**
 * The `directory:` section: `kind`, and the keys of every kind of source (each source folder
 * owns its keys and what they mean; a key of another kind is refused by a rule that says so).
 */
const directorySchema = z.strictObject({
  kind: z.enum(sourceKinds()).describe(describeKinds()),
  ...sourceKeys(),
});

const dnList = z.array(z.string().min(1)).min(1);

const locationSchema = z.strictObject({
  slug: z
    .string()
    .min(1)
    .optional()
    .describe('Vendor location slug / site name; omit for a single account (all locations).'),
  ous: dnList.optional().describe('Search bases (OU DNs) whose people belong to this location.'),
  groups: dnList.optional().describe('Only members of these groups (any of them) belong to this location.'),
  nested: z
    .boolean()
    .optional()
    .describe(
      'Group membership includes nested groups, at any depth (default true): AD follows them itself; on plain LDAP adsync walks the groups inside the location group. false: direct members only (check and push warn about member groups left out).',
    ),
  scope: z
    .enum(SEARCH_SCOPES)
    .optional()
    .describe('sub (default): the whole subtree; one: direct children only.'),
});

const targetSchema = z.strictObject({
  profile: z.enum(PROFILE_NAMES).describe('Vendor CSV layout.'),
  locationColumn: z
    .string()
    .min(1)
    .optional()
    .describe('custom profile: the header of the column that receives the location slug.'),
  tokenUrl: z.url().optional().describe('OAuth2 token endpoint (client credentials).'),
  uploadUrl: z.url().optional().describe('Upload endpoint for the CSV.'),
  clientId: z.string().optional().describe('OAuth2 client id.'),
  clientSecret: z
    .string()
    .optional()
    .describe('OAuth2 client secret; use ${env:NAME}, ${file:PATH} or ${credential:NAME}.'),
  scope: z.string().optional().describe('OAuth2 scope, when the vendor needs one.'),
  auth: z
    .enum(TOKEN_AUTH_METHODS)
    .optional()
    .describe('How the client id and secret are sent to tokenUrl: form fields (default) or HTTP Basic.'),
  apiKey: z
    .string()
    .optional()
    .describe('Static API key, for vendors that issue keys instead of OAuth2 clients.'),
  apiKeyHeader: z.string().min(1).optional().describe('Header that carries apiKey (default X-API-Key).'),
  fileField: z.string().min(1).optional().describe('Multipart field that carries the CSV (default file).'),
  format: z
    .enum(UPLOAD_FORMATS)
    .optional()
    .describe('Upload as multipart/form-data (default) or a raw text/csv body.'),
  caFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM of a CA to trust for the vendor's certificate, besides Node's roots and the system's store.",
    ),
  trustSystemStore: z
    .boolean()
    .optional()
    .describe(
      "Trust the operating system's certificate store for the vendor's certificate, besides Node's own roots (default true).",
    ),
  tlsMinVersion: z
    .enum(TLS_VERSIONS)
    .optional()
    .describe('Lowest TLS version for uploads (default TLSv1.2).'),
  proxy: z
    .string()
    .min(1)
    .optional()
    .describe('HTTPS proxy URL (may hold user:password); default: HTTPS_PROXY.'),
  retries: z
    .strictObject({
      attempts: z.int().min(1).max(20).optional().describe('Attempts in all (default 5).'),
      maxSeconds: z.number().positive().max(3600).optional().describe('Overall deadline (default 300).'),
      baseDelayMs: z
        .int()
        .min(1)
        .max(60000)
        .optional()
        .describe('First backoff delay (default 1000), doubled each time.'),
    })
    .optional(),
  timeoutSeconds: z
    .number()
    .positive()
    .max(3600)
    .optional()
    .describe('Time limit of each request, its whole answer included (default 60).'),
  expectEmptyResponse: z
    .boolean()
    .optional()
    .describe(
      'The vendor answers an accepted upload with an empty body (no import summary): only then is an empty 2xx answer a success. Default false: a push succeeds only on the JSON import summary.',
    ),
});

const scheduleSchema = z.strictObject({
  cron: z
    .string()
    .min(1)
    .describe(
      'When to push, as a cron expression (minute hour day-of-month month day-of-week), e.g. "0 6 * * *".',
    ),
  timezone: z
    .string()
    .min(1)
    .optional()
    .describe("IANA time zone of the cron expression, e.g. America/Toronto (default: the machine's)."),
  randomDelayMinutes: z
    .number()
    .min(0)
    .max(720)
    .optional()
    .describe(
      'Start each run up to this many minutes late, at random, so many sites do not hit the vendor at once (default 0).',
    ),
  timeoutMinutes: z
    .number()
    .positive()
    .max(1440)
    .optional()
    .describe('A run still going after this long is stopped and fails (default 30; --timeout overrides).'),
  statusFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Where `adsync schedule run` writes its status (default: schedule-status.json in the state directory).',
    ),
});

const loggingSchema = z.strictObject({
  file: z
    .string()
    .min(1)
    .describe('JSON-lines log file: one line per event, with run id, level, message and fields.'),
  level: z.enum(LOG_LEVELS).optional().describe('info (default) or debug (adds the --verbose details).'),
  maxSizeMB: z
    .number()
    .positive()
    .max(1024)
    .optional()
    .describe('Rotate the log when it grows past this size (default 10).'),
  keep: z
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('How many rotated logs to keep (file.1 … file.N; default 5).'),
});

const notifySchema = z.strictObject({
  webhook: z
    .url()
    .describe(
      'HTTPS URL that gets a JSON POST (Slack-compatible "text") when a run fails; use ${env:NAME} (it is a secret).',
    ),
  on: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1)
    .optional()
    .describe(
      'When to notify: failure (exit 1, 2, 4), guard (exit 3), success (default: failure and guard).',
    ),
  caFile: z
    .string()
    .min(1)
    .optional()
    .describe(
      "PEM file with the CA of a private webhook endpoint, besides Node's roots and the system's store.",
    ),
  trustSystemStore: z
    .boolean()
    .optional()
    .describe(
      "Trust the operating system's certificate store for the webhook, besides Node's own roots (default true).",
    ),
});

/** The whole config file. */
export const configSchema = z.strictObject({
  $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
  directory: directorySchema,
  locations: z
    .array(locationSchema)
    .min(1)
    .describe('Locations: one CSV row per contact per matching location.'),
  target: targetSchema,
  extraContacts: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe(
      "CSV files (one or a list) of contacts the directory does not hold (contractors, a front desk), in the profile's own columns; merged into the locations their location column names.",
    ),
  columns: z
    .record(z.string().min(1), columnSchema)
    .optional()
    .describe("Override or extend the profile's column mapping (custom profile: define every column)."),
  phone: z
    .strictObject({
      defaultCountry: z
        .string()
        .regex(/^[A-Z]{2}$/, 'a two-letter ISO country code such as CA or US')
        .optional()
        .describe('Country used to read national numbers such as (416) 555-0101.'),
    })
    .optional(),
  safety: z
    .strictObject({
      maxArchive: z
        .int()
        .min(0)
        .optional()
        .describe('Most contacts one push may archive, per location and overall (default 25).'),
      maxArchivePercent: z
        .number()
        .min(0)
        .max(100)
        .optional()
        .describe(
          'Most contacts one push may archive, as a percent of the last push, per location and overall (default 10); only counts of more than archiveFloor trip it.',
        ),
      archiveFloor: z
        .int()
        .min(0)
        .optional()
        .describe(
          'Archives, per location and overall, that never trip maxArchivePercent (default 2): a site of 9 losing one person is 11%, yet an ordinary night. maxArchive still applies; 0 makes the percent apply to every archive.',
        ),
      maxRename: z
        .int()
        .min(0)
        .optional()
        .describe(
          'Most renames (the same directory entry with a new email or SMS phone) one push may make, per location and overall (default 25).',
        ),
      maxRenamePercent: z
        .number()
        .min(0)
        .max(100)
        .optional()
        .describe(
          'Most renames one push may make, as a percent of the last push, per location and overall (default 10); only counts of more than renameFloor trip it.',
        ),
      renameFloor: z
        .int()
        .min(0)
        .optional()
        .describe('Renames, per location and overall, that never trip maxRenamePercent (default 2).'),
      mustInclude: z
        .array(z.string().min(1))
        .optional()
        .describe('Emails that must be in every push (canaries).'),
      lockTimeoutMinutes: z
        .number()
        .positive()
        .optional()
        .describe(
          'A lock whose holder on another machine (a shared state.dir) stopped refreshing it this long ago is stale and taken over; a holder alive on this machine never is (default 120). Must be longer than the run time limit.',
        ),
    })
    .optional(),
  state: z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .optional()
        .describe('Where the last good push, locks and run history live (default ./adsync-state).'),
    })
    .optional(),
  schedule: scheduleSchema.optional().describe('When `adsync schedule` runs the push.'),
  logging: loggingSchema.optional().describe('A JSON-lines log file for unattended runs.'),
  notify: notifySchema.optional().describe('Tell someone when an unattended run fails.'),
  output: z
    .strictObject({
      dir: z
        .string()
        .min(1)
        .optional()
        .describe('Directory for CSVs and reject files (default ./adsync-output).'),
      keep: z
        .int()
        .min(1)
        .max(10000)
        .optional()
        .describe('How many runs to keep in the output directory (default 30).'),
      bom: z.boolean().optional().describe('Start CSV files with a UTF-8 byte order mark (default false).'),
    })
    .optional(),
});

/** The config file as written (after secret references are resolved). */
export type ConfigInput = z.infer<typeof configSchema>;
