import { realpathSync } from 'node:fs';
import { isSea } from 'node:sea';

/** How to start this same adsync again, from a scheduler or a child process. */
export interface SelfCommand {
  /** The executable: node, or the single-file adsync build. */
  program: string;
  /** Arguments before adsync's own (the script, under node). */
  programArgs: string[];
}

/**
 * The command that runs this adsync: the node binary and the real path of the script it was
 * started with (absolute, so cron's short PATH and another working directory do not matter),
 * or just the executable when running as a single executable application.
 * @param argv the process arguments (argv[1] is the script under node)
 */
export function selfCommand(argv: readonly string[]): SelfCommand {
  if (isSea()) return { program: process.execPath, programArgs: [] };
  const script = argv[1];
  if (script === undefined) return { program: process.execPath, programArgs: [] };
  let path = script;
  try {
    path = realpathSync(script);
  } catch {
    // keep it as given
  }
  return { program: process.execPath, programArgs: [path] };
}
