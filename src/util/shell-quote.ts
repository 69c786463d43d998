/**
 * Command lines adsync prints for the admin to paste ("Next: adsync push --dry-run --config …"),
 * quoted for the shell they will be pasted into: a path with a space or a quote must arrive as
 * one argument. Pure: the platform is a parameter, so both forms are tested on any machine.
 */

/** Which shell a printed command is written for: cmd/PowerShell on Windows, sh elsewhere. */
export type ShellPlatform = NodeJS.Platform;

/** What sh takes as it is: letters, digits and path punctuation (no backslash, sh's escape). */
const POSIX_SAFE = /^[\w./:@%+=,-]+$/;

/**
 * What cmd and PowerShell both take as it is: letters, digits, path punctuation and the
 * backslash (not `%`, which cmd expands, nor `@` or `,`, which PowerShell reads as syntax).
 */
const WINDOWS_SAFE = /^[\w./:\\+=-]+$/;

/**
 * One argument quoted for sh (POSIX): bare when it is safe; else in single quotes, inside which
 * nothing is special, a single quote being written '\''.
 * @param arg the argument
 */
function quotePosix(arg: string): string {
  if (POSIX_SAFE.test(arg)) return arg;
  return `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * One argument of a Windows command line by the C runtime's rules (CommandLineToArgvW, Node's
 * own parser among them): in double quotes when it has a space or a quote (or `always`), where
 * backslashes before a double quote, or before the closing quote (`"C:\my dir\\"`), are
 * doubled, and a double quote is written `\"`. What a task's `<Arguments>` and cmd take.
 * @param arg the argument
 * @param always quote it even when it needs no quotes
 */
export function argvQuote(arg: string, always = false): string {
  if (!always && arg !== '' && !/[\s"]/.test(arg)) return arg;
  const escaped = arg.replace(/(\\*)("|$)/g, (_, slashes: string, quote: string) =>
    quote === '"' ? `${slashes}${slashes}\\"` : `${slashes}${slashes}`,
  );
  return `"${escaped}"`;
}

/**
 * One argument quoted for cmd and PowerShell: bare when it is safe; else in double quotes by
 * {@link argvQuote}, which both read back, except an argument holding `$` or a backtick, which
 * PowerShell (the shell Windows opens, and the one docs/operations.md uses) would expand inside
 * double quotes (`C:\Users\me\$work`, `\\srv\c$\…`): that one is single-quoted, PowerShell's
 * literal form (a quote inside written twice), which cmd does not know.
 * @param arg the argument
 */
function quoteWindows(arg: string): string {
  if (WINDOWS_SAFE.test(arg)) return arg;
  if (/[$`]/.test(arg)) return `'${arg.replaceAll("'", "''")}'`;
  return argvQuote(arg, true);
}

/**
 * One argument as the platform's shell reads it back unchanged.
 * @param arg the argument
 * @param platform the platform whose shell it is for (process.platform)
 */
export function shellQuote(arg: string, platform: ShellPlatform): string {
  return platform === 'win32' ? quoteWindows(arg) : quotePosix(arg);
}

/**
 * A command line to paste: the program and its arguments, each quoted for the platform's shell.
 * In PowerShell a quoted program needs the call operator `& ` before it (a quoted string alone
 * is a value, not a command), so on Windows a program that had to be quoted gets it: that line
 * is for PowerShell (cmd has no such operator). `adsync` itself is never quoted.
 * @param program the program (`adsync`, or a path to it)
 * @param args its arguments
 * @param platform the platform whose shell it is for (process.platform)
 */
export function commandLine(program: string, args: readonly string[], platform: ShellPlatform): string {
  const quoted = shellQuote(program, platform);
  const call = platform === 'win32' && quoted !== program ? `& ${quoted}` : quoted;
  return [call, ...args.map((arg) => shellQuote(arg, platform))].join(' ');
}
