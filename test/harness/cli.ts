import { spawn } from 'node:child_process';

/** The built CLI, as users run it. */
export const BIN = new URL('../../bin/adsync.js', import.meta.url).pathname;

/** How a CLI run ended. */
export interface CliRun {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Data output. */
  stdout: string;
  /** Human output. */
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  /** Resolves when it has exited. */
  done: Promise<CliRun>;
  /** Its pid. */
  pid: number | undefined;
  /** Send a signal (default SIGKILL). */
  kill: (signal?: NodeJS.Signals) => void;
  /** Output so far. */
  output: () => string;
}

/**
 * Start the real CLI as a scheduler would: no TTY, no stdin, a minimal environment (PATH, HOME
 * and what the test passes).
 * @param args arguments after the program
 * @param options working directory and extra environment
 * @param options.cwd working directory (also HOME unless env says otherwise)
 * @param options.env extra environment
 */
export function startAdsync(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: options.cwd, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return {
    done,
    pid: child.pid,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => child.kill(signal),
    output: () => stdout + stderr,
  };
}

/**
 * Run the real CLI to completion.
 * @param args arguments after the program
 * @param options working directory and extra environment
 * @param options.cwd working directory
 * @param options.env extra environment
 */
export function runAdsync(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliRun> {
  return startAdsync(args, options).done;
}
