import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { removeDir } from './files.ts';

/** A test server process whose output is kept for error messages. */
export interface ServerProcess {
  /** The child process. */
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything it printed so far. */
  output: () => string;
  /** Stop it (SIGTERM, then SIGKILL after the grace period) and remove its directory. */
  stop: () => Promise<void>;
}

/**
 * Start a server in the foreground, collecting its output, with a stop that also removes the
 * temporary directory it lives in.
 * @param command program
 * @param args arguments
 * @param dir temporary directory removed on stop
 * @param graceMs how long SIGTERM gets before SIGKILL
 * @param env variables added to this process's environment (a private KRB5_CONFIG, a keytab…)
 */
export function startServerProcess(
  command: string,
  args: string[],
  dir: string,
  graceMs: number,
  env: Record<string, string> = {},
): ServerProcess {
  let output = '';
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<void> => {
    // A child that already ended (also by a signal, e.g. the terminal's Ctrl-C) needs no stop.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(undefined);
        }, graceMs);
        child.once('exit', () => {
          clearTimeout(t);
          resolve(undefined);
        });
      });
    }
    await removeDir(dir);
  };
  return { child, output: () => output, stop };
}
