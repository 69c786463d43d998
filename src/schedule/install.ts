import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ScheduleError, UsageError } from '../errors.js';
import { cronDaemon } from './cron-daemon.js';
import { cronMarker, scheduleFileBytes, systemdConfigLine, type ScheduleArtifacts } from './platforms.js';
import { makeDir } from '../io/make-dir.js';
import { shellQuote } from '../util/shell-quote.js';

/** What installing did. */
export interface InstallOutcome {
  /** Files written (systemd units) or changed (the crontab, as `crontab:<user>`). */
  written: string[];
  /** Commands run, with their outcome. */
  ran: { command: string; ok: boolean; output: string }[];
  /** True when the schedule is active; false when files are in place but a step is left to do. */
  active: boolean;
  /** What is left to do by hand, when not active. */
  todo: string[];
  /** Why it is not active, when that is known (no cron daemon runs). */
  why?: string | undefined;
}

/** Where and how to install. */
export interface InstallTarget {
  /** The config (marks its crontab lines). */
  configPath: string;
  /** Unit / task name. */
  name: string;
  /** Environment (HOME, XDG_CONFIG_HOME, PATH). */
  env: NodeJS.ProcessEnv;
  /** The OS, normally process.platform. */
  os: NodeJS.Platform;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const result = spawnSync(command, args, { env, input, encoding: 'utf8', timeout: 60_000 });
  const output = `${result.stdout}${result.stderr}`.trim();
  return {
    status: result.status,
    error: result.error,
    stdout: result.stdout,
    stderr: result.stderr,
    output,
    text: [command, ...args].join(' '),
  };
}

function installCron(artifacts: ScheduleArtifacts, target: InstallTarget): InstallOutcome {
  const listed = run('crontab', ['-l'], target.env);
  if (listed.error) {
    throw new ScheduleError(`crontab could not be run: ${listed.error.message}`, {
      hint: 'Install cron (Debian: apt-get install cron), or use --print and add the line yourself.',
      cause: listed.error,
    });
  }
  // `crontab -l` exits 1 with "no crontab for USER" when there is none yet: start empty. Any
  // other failure stops here: writing the table anyway would replace the user's other jobs.
  if (listed.status !== 0 && !/no crontab/i.test(listed.stderr)) {
    throw new ScheduleError(`crontab -l failed: ${listed.output || `exit ${String(listed.status)}`}`, {
      hint: 'Nothing was changed. Fix what crontab reports (permissions, /etc/cron.allow), or use --print and add the line yourself.',
    });
  }
  const current = listed.status === 0 ? listed.stdout : '';
  const marker = cronMarker(target.configPath);
  const kept = current
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith(marker))
    .join('\n');
  const block = artifacts.files[0]?.content ?? '';
  const next = `${kept ? `${kept}\n` : ''}${block}`;
  const saved = run('crontab', ['-'], target.env, next);
  if (saved.status !== 0) {
    throw new ScheduleError(
      `crontab refused the new table: ${saved.output || saved.error?.message || `exit ${saved.status}`}`,
      {
        hint: 'Nothing was changed. Check the message, or use --print and install the line yourself.',
      },
    );
  }
  return {
    written: [`crontab of ${target.env.USER ?? target.env.LOGNAME ?? 'this user'}`],
    ran: [
      { command: 'crontab -l', ok: true, output: '' },
      { command: 'crontab -', ok: true, output: saved.output },
    ],
    ...cronActivity(target.configPath),
  };
}

/**
 * Whether the crontab just written will run: only when a cron daemon reads it. Without one the
 * line sits there doing nothing, so say so, and how to start one.
 * @param configPath the config the line runs
 */
function cronActivity(configPath: string): Pick<InstallOutcome, 'active' | 'todo' | 'why'> {
  const daemon = cronDaemon();
  if (daemon.state === 'running') return { active: true, todo: [] };
  if (daemon.state === 'unknown') {
    return {
      active: false,
      why: `the crontab line is installed, but adsync cannot tell whether a cron daemon runs here (${daemon.why})`,
      todo: ['pgrep -x cron || pgrep -x crond   # no output: no cron daemon runs, and the line does nothing'],
    };
  }
  return {
    active: false,
    why: 'the crontab line is installed, but the schedule is NOT active: no cron daemon is running on this machine',
    todo: daemon.systemd
      ? ['sudo systemctl enable --now cron   # Debian, Ubuntu (Fedora, RHEL: crond)']
      : [
          'sudo service cron start   # or start cron (crond) as root the way this system starts services',
          `adsync schedule run --config ${shellQuote(configPath, 'linux')}   # in a container without cron: make this its process instead`,
        ],
  };
}

function installSystemd(artifacts: ScheduleArtifacts, target: InstallTarget): InstallOutcome {
  const home = target.env.HOME;
  const base = target.env.XDG_CONFIG_HOME ?? (home ? join(home, '.config') : undefined);
  if (!base) {
    throw new ScheduleError('cannot find the user unit folder: neither XDG_CONFIG_HOME nor HOME is set', {
      hint: 'Set HOME, or use --print and place the units yourself.',
    });
  }
  const dir = join(base, 'systemd', 'user');
  const servicePath = join(dir, `${target.name}.service`);
  let existing: string | undefined;
  try {
    existing = readFileSync(servicePath, 'utf8');
  } catch {
    // first install
  }
  if (existing !== undefined && !existing.split('\n').includes(systemdConfigLine(target.configPath))) {
    throw new ScheduleError(`${servicePath} already runs another config (or was not written by adsync)`, {
      hint: `Nothing was changed. Give this config its own units with --name (e.g. --name adsync-${target.name === 'adsync' ? 'site2' : 'other'}), or remove the old units first.`,
    });
  }
  makeDir(dir, 0o755);
  const written = artifacts.files.map((file) => {
    const path = join(dir, file.name);
    writeFileSync(path, file.content, { mode: 0o644 });
    return path;
  });
  const ran: InstallOutcome['ran'] = [];
  const steps: string[][] = [
    ['--user', 'daemon-reload'],
    ['--user', 'enable', '--now', `${target.name}.timer`],
  ];
  for (const args of steps) {
    const result = run('systemctl', args, target.env);
    const ok = result.status === 0 && !result.error;
    ran.push({ command: result.text, ok, output: result.error?.message ?? result.output });
    if (!ok) {
      // No user session bus (a container, an SSH session without lingering): the units are in
      // place, enabling them is left to a session that has one.
      return {
        written,
        ran,
        active: false,
        todo: steps.map((s) => `systemctl ${s.join(' ')}`).concat('loginctl enable-linger "$USER"'),
      };
    }
  }
  return { written, ran, active: true, todo: [] };
}

function installWindows(artifacts: ScheduleArtifacts, target: InstallTarget): InstallOutcome {
  const file = artifacts.files[0];
  if (!file) throw new Error('no task XML');
  const dir = mkdtempSync(join(tmpdir(), 'adsync-task-'));
  try {
    const path = join(dir, file.name);
    // schtasks reads the XML as its declaration says: UTF-16 with a byte order mark.
    writeFileSync(path, scheduleFileBytes(file.content));
    const args = ['/Create', '/TN', `\\adsync\\${target.name}`, '/XML', path, '/F'];
    const result = run('schtasks.exe', args, target.env);
    if (result.status !== 0) {
      throw new ScheduleError(
        `schtasks refused the task: ${result.output || result.error?.message || `exit ${result.status}`}`,
        {
          hint: 'Registering a task that runs while logged off may need an elevated prompt ("Run as administrator"). Or use --print and import the XML in Task Scheduler.',
        },
      );
    }
    return {
      written: [`task \\adsync\\${target.name}`],
      ran: [{ command: result.text, ok: true, output: result.output }],
      active: true,
      todo: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Install the artifacts where this machine allows: the user's crontab, the user's systemd units,
 * or Task Scheduler (only on Windows).
 * @param artifacts what {@link scheduleArtifacts} produced
 * @param target config, name, environment and OS
 * @throws {UsageError} for a platform this OS does not have
 * @throws {ScheduleError} when the platform's tool refuses
 */
export function installSchedule(artifacts: ScheduleArtifacts, target: InstallTarget): InstallOutcome {
  const windows = target.os === 'win32';
  if ((artifacts.platform === 'windows') !== windows) {
    throw new UsageError(`cannot install a ${artifacts.platform} schedule on ${target.os}`, {
      hint: `Use --print to get the ${artifacts.platform === 'windows' ? 'task XML' : 'files'} and install them on the machine that runs adsync.`,
    });
  }
  if (artifacts.platform === 'windows') return installWindows(artifacts, target);
  return artifacts.platform === 'cron' ? installCron(artifacts, target) : installSystemd(artifacts, target);
}
