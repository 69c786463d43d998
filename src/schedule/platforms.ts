import { basename } from 'node:path';

import { ConfigError } from '../errors.js';
import { argvQuote, shellQuote } from '../util/shell-quote.js';
import {
  toOnCalendar,
  toTaskTriggers,
  unsupported,
  type CronParts,
  type TaskTrigger,
} from './cron-convert.js';
import {
  cronEnvComment,
  jobEnvNote,
  jobLacks,
  systemdCredentialLines,
  systemdCredentialNote,
  systemdEnvLines,
  systemdPath,
  windowsEnvComment,
} from './job-env.js';

/** Where a scheduled push can be installed. */
export type SchedulePlatform = 'windows' | 'cron' | 'systemd';

/** What to schedule: the program, the config, and the schedule itself. */
export interface ScheduleSpec {
  /** Unit / task name (letters, digits, `-`, `_`). */
  name: string;
  /** The program to start: node, or the single-file adsync executable. */
  program: string;
  /** Arguments before the adsync command (the script path when `program` is node). */
  programArgs: string[];
  /** Absolute config path. */
  configPath: string;
  /** Working directory (the config's folder, so relative paths behave as in a manual run). */
  workingDir: string;
  /** The parsed `schedule.cron`. */
  cron: CronParts;
  /** `schedule.timezone`. */
  timezone: string | undefined;
  /** `schedule.randomDelayMinutes`, in ms. */
  randomDelayMs: number;
  /** adsync's own run time limit, in ms; the platform's hard limit is this plus a grace period. */
  timeoutMs: number;
  /** Windows: the account the task runs as (default: the account that registers it). */
  user?: string | undefined;
  /** The variables the config's `${env:}` references name (none when not given). */
  envNames?: readonly string[] | undefined;
  /** The credentials the config's `${credential:}` references name (none when not given). */
  credentialNames?: readonly string[] | undefined;
}

/** A file the platform needs. */
export interface ScheduleFile {
  /** Suggested file name (systemd: the unit name). */
  name: string;
  /** Text content. */
  content: string;
}

/** What a platform needs, ready to print or install. */
export interface ScheduleArtifacts {
  /** The platform. */
  platform: SchedulePlatform;
  /** Files (crontab: one line block; systemd: service + timer; windows: the task XML). */
  files: ScheduleFile[];
  /** Shell commands an admin would run to install them by hand. */
  installCommands: string[];
  /** Things to know (time zone, secrets in the environment, …). */
  notes: string[];
}

/** Grace on top of adsync's own limit, so adsync can stop itself cleanly before it is killed. */
export const HARD_LIMIT_GRACE_MS = 5 * 60_000;

/** The adsync arguments of a scheduled run: the config is explicit, output is errors only. */
export function pushArgs(configPath: string): string[] {
  return ['push', '--config', configPath, '--quiet'];
}

const shQuote = (s: string): string => shellQuote(s, 'linux');

/** systemd's ExecStart quoting: quotes for spaces, `%` and `$` doubled (specifier and variable syntax). */
const systemdQuote = (s: string): string => {
  const escaped = s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : escaped;
};

/**
 * Windows command-line quoting (the rules of CommandLineToArgvW / the C runtime).
 * @param arg the argument
 */
export function windowsQuote(arg: string): string {
  return argvQuote(arg);
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** ISO 8601 duration in whole minutes (Task Scheduler's format). */
const isoMinutes = (ms: number): string => `PT${Math.max(1, Math.ceil(ms / 60_000))}M`;

/**
 * Where a scheduled run's secrets come from on a platform: the variables its job lacks and how
 * to give them, or, with none, how it would get some.
 * @param platform the scheduler
 * @param spec what to schedule (the config's `${env:}` names)
 * @param how how this platform's job gets environment variables
 */
const secretsNote = (platform: SchedulePlatform, spec: ScheduleSpec, how: string): string =>
  jobEnvNote(
    platform,
    jobLacks(platform, spec.envNames ?? []),
    `${how}, or use \${file:…} references to files only the service account can read`,
  );

function timezoneNote(spec: ScheduleSpec, platform: string): string[] {
  if (!spec.timezone) return [];
  return [
    `${platform} runs the job in the machine's local time zone; schedule.timezone (${spec.timezone}) is only applied by \`adsync schedule run\` and systemd. If the machine's zone differs, adjust the hours in schedule.cron.`,
  ];
}

/**
 * A crontab block: a comment naming the config, then the job. The job changes to the config's
 * folder, waits the random delay, and runs under coreutils' `timeout` so a hung run is killed.
 * @param spec what to schedule
 */
export function crontabBlock(spec: ScheduleSpec): ScheduleArtifacts {
  if (spec.cron.domRestricted && spec.cron.dowRestricted) {
    throw unsupported(
      spec.cron.expression,
      'cron runs a job when the day of the month OR the day of the week matches, adsync schedule run (and systemd) only when both do',
      'cron',
    );
  }
  if (spec.cron.second.length !== 1 || spec.cron.second[0] !== 0) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `schedule.cron "${spec.cron.expression}" has a seconds field; cron runs at most once a minute`,
      {
        hint: 'Use five fields (minute hour day-of-month month day-of-week) for cron.',
      },
    );
  }
  const fields = spec.cron.expression.trim().split(/\s+/).slice(-5).join(' ');
  const hardLimit = Math.ceil((spec.timeoutMs + HARD_LIMIT_GRACE_MS) / 1000);
  const delay = Math.floor(spec.randomDelayMs / 1000);
  const command = [spec.program, ...spec.programArgs, ...pushArgs(spec.configPath)].map(shQuote).join(' ');
  // `%` ends the command in a crontab line unless escaped.
  const job = [
    `cd ${shQuote(spec.workingDir)}`,
    ...(delay > 0 ? [`sleep $(shuf -i 0-${delay} -n 1)`] : []),
    `exec timeout -k 60 ${hardLimit} ${command}`,
  ]
    .join(' && ')
    .replace(/%/g, '\\%');
  const marker = cronMarker(spec.configPath);
  // Every line of the block ends in the marker, so a reinstall replaces them all.
  const comments = [
    `adsync push for ${spec.configPath}, written by \`adsync schedule install\``,
    ...cronEnvComment(jobLacks('cron', spec.envNames ?? [])),
  ];
  const content = `${comments.map((c) => `# ${c} ${marker}\n`).join('')}${fields} ${job} ${marker}\n`;
  return {
    platform: 'cron',
    files: [{ name: 'crontab', content }],
    installCommands: [
      'crontab -l > crontab.txt   # then add the lines above to crontab.txt',
      'crontab crontab.txt',
    ],
    notes: [
      ...timezoneNote(spec, 'cron'),
      secretsNote(
        'cron',
        spec,
        'cron gives a job no environment of its own (put NAME=value lines above the adsync line in the crontab)',
      ),
      'cron mails a run’s output (errors only, with --quiet) to the crontab owner when mail is set up; set logging.file for a record of every run and notify.webhook to hear about failures.',
      'The line uses GNU coreutils `timeout` (and `shuf` for the random delay), standard on Linux; on other systems install coreutils or use adsync schedule run.',
    ],
  };
}

/**
 * The comment that names a service unit's config, so a second config's install does not take
 * over the first one's units.
 * @param configPath absolute config path
 */
export function systemdConfigLine(configPath: string): string {
  return `# adsync config: ${configPath}`;
}

/** The tag that finds this config's lines in a crontab. */
export function cronMarker(configPath: string): string {
  return `#adsync-job:${configPath.replace(/\s/g, '_')}`;
}

/**
 * A systemd service + timer pair (user or system units).
 * @param spec what to schedule
 */
export function systemdUnits(spec: ScheduleSpec): ScheduleArtifacts {
  const onCalendar = toOnCalendar(spec.cron, spec.timezone);
  const hardLimit = Math.ceil((spec.timeoutMs + HARD_LIMIT_GRACE_MS) / 1000);
  const exec = [spec.program, ...spec.programArgs, ...pushArgs(spec.configPath)].map(systemdQuote).join(' ');
  const service = `${systemdConfigLine(spec.configPath)}
[Unit]
Description=adsync push (${systemdPath(basename(spec.configPath))})
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory=${systemdPath(spec.workingDir)}
ExecStart=${exec}
# A run still going after this is killed (adsync stops itself ${HARD_LIMIT_GRACE_MS / 60_000} min earlier).
TimeoutStartSec=${hardLimit}
${systemdEnvLines(jobLacks('systemd', spec.envNames ?? []), systemdPath(`${spec.workingDir}/adsync.env`), spec.name)}${systemdCredentialLines(spec.credentialNames ?? [])}`;
  const timer = `[Unit]
Description=Run adsync push on "${spec.cron.expression}"${spec.timezone ? ` (${spec.timezone})` : ''}

[Timer]
OnCalendar=${onCalendar}
${spec.randomDelayMs > 0 ? `RandomizedDelaySec=${Math.floor(spec.randomDelayMs / 1000)}\n` : ''}# Catch up after downtime: a missed run starts at boot.
Persistent=true
Unit=${spec.name}.service

[Install]
WantedBy=timers.target
`;
  return {
    platform: 'systemd',
    files: [
      { name: `${spec.name}.service`, content: service },
      { name: `${spec.name}.timer`, content: timer },
    ],
    installCommands: [
      `cp ${spec.name}.service ${spec.name}.timer ~/.config/systemd/user/`,
      'systemctl --user daemon-reload',
      `systemctl --user enable --now ${spec.name}.timer`,
      'loginctl enable-linger "$USER"   # run while nobody is logged in',
    ],
    notes: [
      secretsNote(
        'systemd',
        spec,
        'put ${env:…} secrets in the EnvironmentFile= commented in the service (a file only the service account can read)',
      ),
      `See runs with: journalctl --user -u ${spec.name}.service; next run: systemctl --user list-timers ${spec.name}.timer`,
      ...systemdCredentialNote(spec.credentialNames ?? []),
    ],
  };
}

function triggerXml(trigger: TaskTrigger, randomDelayMs: number): string {
  const lines: string[] = ['    <CalendarTrigger>'];
  if (trigger.repeatEvery) {
    lines.push(
      '      <Repetition>',
      `        <Interval>${trigger.repeatEvery}</Interval>`,
      '        <Duration>P1D</Duration>',
      '        <StopAtDurationEnd>false</StopAtDurationEnd>',
      '      </Repetition>',
    );
  }
  lines.push(
    `      <StartBoundary>2000-01-01T${trigger.time}</StartBoundary>`,
    '      <Enabled>true</Enabled>',
  );
  if (randomDelayMs > 0) lines.push(`      <RandomDelay>${isoMinutes(randomDelayMs)}</RandomDelay>`);
  const days = trigger.days;
  const list = (outer: string, items: string[]): string[] => [
    `        <${outer}>`,
    ...items.map((d) => `          <${d} />`),
    `        </${outer}>`,
  ];
  switch (days.kind) {
    case 'daily':
      lines.push('      <ScheduleByDay>', '        <DaysInterval>1</DaysInterval>', '      </ScheduleByDay>');
      break;
    case 'weekly':
      lines.push(
        '      <ScheduleByWeek>',
        ...list('DaysOfWeek', days.days),
        '        <WeeksInterval>1</WeeksInterval>',
        '      </ScheduleByWeek>',
      );
      break;
    case 'monthly':
      lines.push(
        '      <ScheduleByMonth>',
        '        <DaysOfMonth>',
        ...days.days.map((d) => `          <Day>${d}</Day>`),
        '        </DaysOfMonth>',
        ...list('Months', days.months),
        '      </ScheduleByMonth>',
      );
      break;
    case 'monthlyDayOfWeek':
      lines.push(
        '      <ScheduleByMonthDayOfWeek>',
        '        <Weeks>',
        ...['1', '2', '3', '4', 'Last'].map((w) => `          <Week>${w}</Week>`),
        '        </Weeks>',
        ...list('DaysOfWeek', days.days),
        ...list('Months', days.months),
        '      </ScheduleByMonthDayOfWeek>',
      );
      break;
  }
  lines.push('    </CalendarTrigger>');
  return lines.join('\n');
}

/**
 * A Task Scheduler task (the XML `schtasks /Create /XML` takes): runs whether or not the user is
 * logged on (S4U, or a gMSA's password from Active Directory: no password stored), in the config's folder, one instance at a time, killed
 * after the time limit, started late if the machine was off at the time.
 * @param spec what to schedule
 * @param options the declaration's encoding (UTF-16 for a file given to schtasks) and the file's name
 */
export function windowsTask(spec: ScheduleSpec, options: ArtifactOptions = {}): ScheduleArtifacts {
  const encoding = options.encoding ?? 'UTF-8';
  const fileName = options.fileName ?? `${spec.name}.xml`;
  const triggers = toTaskTriggers(spec.cron);
  const args = [...spec.programArgs, ...pushArgs(spec.configPath)].map(windowsQuote).join(' ');
  const hardLimit = isoMinutes(spec.timeoutMs + HARD_LIMIT_GRACE_MS);
  const content = `<?xml version="1.0" encoding="${encoding}"?>
${windowsEnvComment(jobLacks('windows', spec.envNames ?? []))}<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>${xml(`adsync push for ${spec.configPath} on "${spec.cron.expression}" (written by adsync schedule install)`)}</Description>
    <URI>\\adsync\\${xml(spec.name)}</URI>
  </RegistrationInfo>
  <Triggers>
${triggers.map((t) => triggerXml(t, spec.randomDelayMs)).join('\n')}
  </Triggers>
  <Principals>
    <Principal id="Author">
${spec.user ? `      <UserId>${xml(spec.user)}</UserId>\n` : ''}      <LogonType>${logonType(spec.user)}</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <ExecutionTimeLimit>${hardLimit}</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xml(windowsQuote(spec.program))}</Command>
      <Arguments>${xml(args)}</Arguments>
      <WorkingDirectory>${xml(spec.workingDir)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
  return {
    platform: 'windows',
    files: [{ name: `${spec.name}.xml`, content }],
    installCommands: [
      // The account is in the XML (UserId, S4U or a gMSA): /RU here would ask for a password.
      `schtasks /Create /TN "\\adsync\\${spec.name}" /XML ${windowsQuote(fileName)} /F`,
      `schtasks /Run /TN "\\adsync\\${spec.name}"   # try it once now`,
    ],
    notes: [
      ...timezoneNote(spec, 'Task Scheduler'),
      secretsNote(
        'windows',
        spec,
        'set ${env:…} secrets as environment variables of the account the task runs as',
      ),
      spec.user?.endsWith('$') === true
        ? `The task runs as the group Managed Service Account ${spec.user}, whether or not anyone is logged on: Windows fetches its password from Active Directory (it must be installed on this machine with Install-ADServiceAccount and hold "Log on as a batch job").`
        : 'The task runs whether or not the user is logged on, without storing a password (S4U): adsync reaches the directory and the vendor with the credentials in its config.',
      'The "Last Run Result" is adsync\'s exit code: 0x0 success, 0x1 runtime failure (also a run its watchdog ended), 0x2 config or usage error, 0x3 a safety guard stopped it, 0x4 another run held the lock.',
    ],
  };
}

/** How the Windows task XML is produced. */
export interface ArtifactOptions {
  /** The encoding its XML declaration names (default UTF-8, for stdout; UTF-16 for a file). */
  encoding?: 'UTF-16' | 'UTF-8' | undefined;
  /** The file name the install commands use (default `<name>.xml`). */
  fileName?: string | undefined;
}

/**
 * The encoding an XML declaration names (upper case), or UTF-8 for a file without one.
 * @param content the file's text
 */
export function declaredEncoding(content: string): string {
  return /^<\?xml[^>]*\bencoding="([^"]+)"/.exec(content)?.[1]?.toUpperCase() ?? 'UTF-8';
}

/**
 * The bytes of a file as the platform reads it: an XML file in the encoding its declaration
 * names (UTF-16: little-endian with a byte order mark, as schtasks and the Task Scheduler
 * console expect), anything else UTF-8.
 * @param content the file's text
 */
export function scheduleFileBytes(content: string): Buffer {
  if (declaredEncoding(content) === 'UTF-16') {
    return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(content, 'utf16le')]);
  }
  return Buffer.from(content, 'utf8');
}

/**
 * How the task logs on: a group Managed Service Account (its name ends in `$`) with its password,
 * which Windows fetches from Active Directory (none is stored or typed); anyone else without a
 * stored password (S4U).
 * @param user the account the task runs as, if given
 */
function logonType(user: string | undefined): 'Password' | 'S4U' {
  return user?.endsWith('$') === true ? 'Password' : 'S4U';
}

/**
 * The artifacts for one platform.
 * @param platform windows, cron or systemd
 * @param spec what to schedule
 * @param options Windows only: the XML declaration's encoding and the file's name
 */
export function scheduleArtifacts(
  platform: SchedulePlatform,
  spec: ScheduleSpec,
  options: ArtifactOptions = {},
): ScheduleArtifacts {
  if (platform === 'windows') return windowsTask(spec, options);
  return platform === 'cron' ? crontabBlock(spec) : systemdUnits(spec);
}
