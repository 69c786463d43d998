import { shellQuote } from '../util/shell-quote.js';

/**
 * What a scheduled job must be given of the config's `${env:NAME}` references: a job started by
 * cron, systemd or Task Scheduler does not inherit the shell that installed it, so a variable
 * exported there is missing when the job runs (and the run fails on it). Names only, never a
 * value: these lines go into the files adsync writes and onto the terminal.
 */

/** Where a scheduled push can be installed (as in platforms.ts, which imports this file). */
type Platform = 'windows' | 'cron' | 'systemd';

/**
 * Variables each scheduler gives a job by itself: a reference to one of these resolves there.
 * cron sets HOME, LOGNAME, SHELL and PATH; a systemd user manager passes its own few, and
 * CREDENTIALS_DIRECTORY to a service with credentials (a keytab from LoadCredentialEncrypted=
 * is named `${env:CREDENTIALS_DIRECTORY}/NAME`); Task Scheduler loads the account's profile
 * (Windows names ignore case).
 */
const GIVEN: Record<Platform, readonly string[]> = {
  cron: ['HOME', 'LOGNAME', 'SHELL', 'PATH'],
  systemd: ['HOME', 'USER', 'LOGNAME', 'SHELL', 'PATH', 'XDG_RUNTIME_DIR', 'CREDENTIALS_DIRECTORY'],
  windows: [
    'APPDATA',
    'COMPUTERNAME',
    'LOCALAPPDATA',
    'PATH',
    'PROGRAMDATA',
    'PROGRAMFILES',
    'SYSTEMROOT',
    'TEMP',
    'TMP',
    'USERDOMAIN',
    'USERNAME',
    'USERPROFILE',
    'WINDIR',
  ],
};

/**
 * The referenced variables a job on this platform does not get by itself, each as one line of
 * text (a control character in a name would break the comment lines it is written into).
 * @param platform the scheduler
 * @param names the config's `${env:}` names (see envReferenceNames in src/config/secrets.ts)
 */
export function jobLacks(platform: Platform, names: readonly string[]): string[] {
  const given = new Set(GIVEN[platform]);
  const key = (name: string): string => (platform === 'windows' ? name.toUpperCase() : name);
  return (
    names
      .filter((name) => !given.has(key(name)))
      // eslint-disable-next-line no-control-regex -- control characters are what is replaced
      .map((name) => name.replace(/[\u0000-\u001f\u007f]/g, '?'))
  );
}

/** How each scheduler's job gets the variables it lacks (for the note on the terminal). */
const HOW: Record<Platform, string> = {
  cron: 'give them as NAME=value lines above the adsync lines in the crontab (it is readable by you and root only), or use ${file:…} references',
  systemd:
    'put NAME=value lines in the EnvironmentFile= the service names (chmod 600, owned by the account that runs it), or keep them encrypted as systemd credentials: ${credential:NAME} in the config, and reinstall (docs/operations.md)',
  windows:
    'set them as user environment variables of the account the task runs as (setx NAME value, run as that account), or use ${file:…} references to files only that account can read; system variables (setx /M) are readable by every user of the machine',
};

/**
 * The note on where a scheduled run's secrets come from, naming the variables the job lacks.
 * @param platform the scheduler
 * @param lacks what {@link jobLacks} found
 * @param none what to say when the config has no `${env:}` reference the job lacks
 */
export function jobEnvNote(platform: Platform, lacks: readonly string[], none: string): string {
  const head = 'A scheduled run does not see the variables of your login shell: ';
  if (lacks.length === 0) return `${head}${none}.`;
  return `${head}the config's \${env:} references need ${lacks.join(', ')}; ${HOW[platform]}.`;
}

/**
 * Comment lines for a crontab block (without `# `), naming what the job lacks.
 * @param lacks what {@link jobLacks} found
 */
export function cronEnvComment(lacks: readonly string[]): string[] {
  if (lacks.length === 0) return [];
  return [
    `cron starts this job without your shell's variables; the config's \${env:} references need: ${lacks.join(', ')}`,
    'give them as NAME=value lines above these lines (this crontab is readable by you and root only)',
  ];
}

/**
 * The lines of a systemd service about the environment: with variables to give, an optional
 * EnvironmentFile= in the config's folder (the leading `-` lets the run start without it and
 * say which variable is missing), else the same line commented out.
 * @param lacks what {@link jobLacks} found
 * @param envFile the EnvironmentFile= path, written as systemd reads it
 * @param unit the service's name
 */
export function systemdEnvLines(lacks: readonly string[], envFile: string, unit: string): string {
  if (lacks.length === 0) {
    return `# Secrets referenced as \${env:NAME} in the config:\n#EnvironmentFile=${envFile}\n`;
  }
  return `# The service does not inherit your shell's variables. The config's \${env:} references need:
#   ${lacks.join(', ')}
# Put NAME=value lines for them in this file (chmod 600, owned by the account that runs the job):
EnvironmentFile=-${envFile}
# Or keep them encrypted: \${credential:NAME} in the config, and reinstall; systemd then gives them to ${unit}.service only (docs/operations.md, systemd credentials).
`;
}

/** A path in a systemd setting that takes it raw (no quotes): only `%` specifiers are escaped. */
export const systemdPath = (s: string): string => s.replace(/%/g, '%%');

/**
 * The service's `LoadCredentialEncrypted=` lines, one per credential the config's
 * `${credential:}` references name (none: nothing). systemd decrypts each into the service's
 * CREDENTIALS_DIRECTORY when it starts, and nowhere else.
 * @param names the credentials, each once (credential names are plain file names: see config/credentials.ts)
 */
export function systemdCredentialLines(names: readonly string[]): string {
  if (names.length === 0) return '';
  // %E is $XDG_CONFIG_HOME (~/.config) in a user unit, which `schedule install` writes, and /etc
  // in a system unit: the same line finds the file in either, where systemd itself looks
  // (/etc/credstore.encrypted) and where a user's own files belong.
  return `# The config's \${credential:} references, decrypted for the service (create each with systemd-creds encrypt):
${names.map((name) => `LoadCredentialEncrypted=${systemdPath(name)}:%E/credstore.encrypted/${systemdPath(name)}`).join('\n')}
`;
}

/**
 * How to create the encrypted credentials the service loads: one command per name.
 * @param names the credentials
 */
export function systemdCredentialNote(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  const commands = names.map((name) => {
    const quoted = shellQuote(name, 'linux');
    return `  systemd-creds --user encrypt --name=${quoted} - ~/.config/credstore.encrypted/${quoted}   # type the value, then Ctrl-D`;
  });
  return [
    [
      `the config's \${credential:} references need ${names.join(', ')}: the service loads each with LoadCredentialEncrypted= from ~/.config/credstore.encrypted/ (%E: /etc/credstore.encrypted/ in a system unit). Create them once:`,
      '  mkdir -p ~/.config/credstore.encrypted',
      ...commands,
      '`systemd-creds --user` needs systemd 256 or later (`systemd-creds --help` lists --user); before that a user unit cannot decrypt a credential made with the host key, which only root may read: install the units as system units and create each with `sudo systemd-creds encrypt --name=NAME - /etc/credstore.encrypted/NAME`, or use ${file:…}.',
    ].join('\n'),
  ];
}

/**
 * An XML comment for the task (between the declaration and `<Task>`, where Microsoft's own
 * examples put one), naming what the task lacks; empty without any. `--` may not appear inside.
 * @param lacks what {@link jobLacks} found
 */
export function windowsEnvComment(lacks: readonly string[]): string {
  if (lacks.length === 0) return '';
  const names = lacks.map((name) => name.replace(/-(?=-)/g, '- ')).join(', ');
  return `<!-- The task does not inherit your session's variables. The config's \${env:} references need: ${names}. Set them as user environment variables of the account the task runs as, or use \${file:} references. -->\n`;
}

/**
 * A note for the variables that are set in the shell running `schedule install`: they are what
 * an admin would expect the job to have, and it will not.
 * @param lacks what {@link jobLacks} found
 * @param env the installing shell's environment
 */
export function shellOnlyNote(lacks: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const here = lacks.filter((name) => (env[name] ?? '') !== '');
  if (here.length === 0) return [];
  return [
    `${here.join(', ')} ${here.length === 1 ? 'is' : 'are'} set in this shell, but the job does not inherit it: give ${here.length === 1 ? 'it' : 'them'} to the job as said above.`,
  ];
}
