import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import { win32 } from 'node:path';

import { describeError } from '../errors.js';
import { accountForGrant, checkStateDirAcl, privateAclArgs, type IcaclsListing } from './windows-acl.js';

/** The running account's name: os.userInfo() throws for an account without a profile entry. */
function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USERNAME ?? 'SYSTEM';
  }
}

/** How long one icacls or whoami may take. */
const TOOL_TIMEOUT_MS = 30_000;

/**
 * A Windows tool of System32, by its full path: a bare name would be looked for in the working
 * directory first, where anyone who can write there could put their own.
 * @param name the program's file name
 */
function systemTool(name: string): string {
  return win32.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', name);
}

/** Run a System32 tool; its output is decoded byte for byte (it writes in the OEM code page). */
function runTool(name: string, args: readonly string[]): Promise<IcaclsListing> {
  return new Promise((resolve) => {
    execFile(
      systemTool(name),
      args,
      { encoding: 'latin1', windowsHide: true, timeout: TOOL_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error === null) resolve({ output: stdout });
        else {
          const said = stderr.trim() || stdout.trim();
          resolve({ output: stdout, failure: `${name}: ${said || describeError(error)}` });
        }
      },
    );
  });
}

/** The running account as a person names it: `DOMAIN\name`. */
function accountName(): string {
  return accountForGrant(undefined, userName(), process.env.USERDOMAIN);
}

/**
 * Windows: give a state directory adsync just created an ACL for its account, SYSTEM and
 * Administrators only (it inherited its parent's, which under C:\ProgramData lets every user
 * create files), then check the directory's ACL as icacls lists it (see checkStateDirAcl).
 * Only ever called on Windows.
 * @param dir the state directory
 * @param created whether adsync created it in this run
 * @returns a warning when the ACL could not be set or read
 * @throws {ConfigError} when every user may write there
 */
export async function secureWindowsStateDir(dir: string, created: boolean): Promise<string | undefined> {
  let setProblem: string | undefined;
  if (created) {
    const whoami = await runTool('whoami.exe', ['/user', '/fo', 'csv', '/nh']);
    const account = accountForGrant(whoami.output, userName(), process.env.USERDOMAIN);
    setProblem = (await runTool('icacls.exe', [dir, ...privateAclArgs(account)])).failure;
  }
  const warning = checkStateDirAcl(dir, await runTool('icacls.exe', [dir]), accountName());
  return warning === undefined || setProblem === undefined
    ? warning
    : `${warning}; setting it failed: ${setProblem}`;
}
