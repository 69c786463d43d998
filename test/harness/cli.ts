import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';

/** The built CLI, as users run it. */
export const BIN = fileURLToPath(new URL('../../bin/adsync.js', import.meta.url));

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

/**
 * Run any program to its end, collecting its output (no shell, no stdin).
 * @param program the executable
 * @param args its arguments
 * @param options working directory, environment (default: this process's) and time limit
 * @param options.cwd working directory
 * @param options.env environment
 * @param options.timeout kill it after this many ms (default 60 s)
 * @param options.shell through the platform's shell (npm.cmd on Windows needs it)
 */
export function runProgram(
  program: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number; shell?: boolean },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      shell: options.shell ?? false,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeout ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The first line a server process prints on stdout (its URL or JSON line); rejects if it exits
 * first.
 * @param child a process started with a piped stdout
 */
export function firstStdoutLine(child: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => {
      reject(new Error(`${child.spawnfile} exited with ${String(code)} before printing a line`));
    });
  });
}
