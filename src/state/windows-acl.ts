/**
 * Reading and writing the ACL of adsync's state directory on Windows, through `icacls`: pure
 * functions over its arguments and its output (src/state/state-dir-acl.ts runs it). On Windows,
 * file modes mean nothing; a directory under C:\ProgramData inherits an ACL that lets every local
 * user create files, and with that plant a lock (every run exits 4) or a baseline before the
 * first push.
 */

import { ConfigError } from '../errors.js';
import { commandLine } from '../util/shell-quote.js';

/** SYSTEM, Administrators: the accounts besides adsync's own that keep full control. */
const TRUSTED_SIDS = ['S-1-5-18', 'S-1-5-32-544'] as const;

/**
 * The `icacls` arguments (after the directory) that leave only adsync's account, SYSTEM and the
 * Administrators on a directory, for it and everything in it: inherited entries removed
 * (`/inheritance:r`), explicit ones replaced (`/grant:r`). Well-known SIDs (`*S-1-5-18`) are
 * the same in every language; the account is a SID too when known, else a name icacls looks up
 * (named once when it is SYSTEM itself).
 * @param account the running account: `*S-1-5-21-…`, or `DOMAIN\name`
 */
export function privateAclArgs(account: string): string[] {
  const who = new Set([...TRUSTED_SIDS.map((sid) => `*${sid}`), account]);
  return ['/inheritance:r', '/grant:r', ...[...who].map((w) => `${w}:(OI)(CI)F`)];
}

/**
 * The same command for a person to paste, into cmd or PowerShell alike: every argument with a
 * parenthesis or a space is in double quotes (PowerShell would run `(OI)` as an expression).
 * @param dir the directory
 * @param account as for {@link privateAclArgs}
 */
export function privateAclCommand(dir: string, account: string): string {
  return commandLine('icacls', [dir, ...privateAclArgs(account)], 'win32');
}

/**
 * The running account as `icacls /grant` takes it: its SID from `whoami /user /fo csv /nh`
 * (`"corp\svc-adsync$","S-1-5-21-…"`), else `DOMAIN\name` from the environment, else the name.
 * @param whoami the output of `whoami /user /fo csv /nh`, if it ran
 * @param name the account's name (os.userInfo().username)
 * @param domain USERDOMAIN, if set
 */
export function accountForGrant(
  whoami: string | undefined,
  name: string,
  domain: string | undefined,
): string {
  const sid = /"(S-1-5-[0-9-]+)"\s*$/m.exec(whoami ?? '')?.[1];
  if (sid !== undefined) return `*${sid}`;
  // LocalSystem (a task run as SYSTEM): its name is not DOMAIN\SYSTEM.
  if (name.toUpperCase() === 'SYSTEM') return '*S-1-5-18';
  return domain ? `${domain}\\${name}` : name;
}

/** One access control entry as `icacls` prints it. */
export interface AclEntry {
  /** The principal as printed (`BUILTIN\Users`, `NT-AUTORITÄT\SYSTEM`, or a bare SID). */
  principal: string;
  /** Inheritance flags: OI, CI, IO, NP, I (inherited). */
  flags: string[];
  /** The rights: one simple right (F, M, RX, R, W, D, N) or specific ones (WD, AD, …). */
  rights: string[];
  /** A deny entry. */
  deny: boolean;
}

const FLAGS = new Set(['OI', 'CI', 'IO', 'NP', 'I']);

/** An entry: `principal:(flag)…(rights)`, the rights possibly a comma list. */
const ENTRY = /^(.+):((?:\([A-Za-z0-9, ]+\))+)\s*$/;

/**
 * Two strings equal as icacls prints them: case aside, and any non-ASCII character matches any
 * one character. Read from a pipe, icacls writes in the console's OEM code page (850, 437, …),
 * read here byte by byte, so `é` comes back as another single character.
 */
function samePrinted(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x > 0x7f || y > 0x7f) continue;
    if (String.fromCharCode(x).toLowerCase() !== String.fromCharCode(y).toLowerCase()) return false;
  }
  return true;
}

function parseEntry(text: string): AclEntry | undefined {
  const m = ENTRY.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const groups = m[2].slice(1, -1).split(')(');
  const entry: AclEntry = { principal: m[1].trim(), flags: [], rights: [], deny: false };
  for (const group of groups) {
    if (group === 'DENY') entry.deny = true;
    else if (FLAGS.has(group)) entry.flags.push(group);
    else entry.rights.push(...group.split(',').map((r) => r.trim()));
  }
  return entry.principal === '' ? undefined : entry;
}

/**
 * The entries of `icacls DIR`'s output, or undefined when it has none this can read. The first
 * line is the path, a space and the first entry; each further entry is on its own line, indented
 * to the same column; a blank line and the count of files processed follow (in the system's
 * language, so it is not read).
 * @param output what icacls printed (decoded byte for byte: see {@link samePrinted})
 * @param dir the directory, as it was given to icacls
 */
export function parseIcacls(output: string, dir: string): AclEntry[] | undefined {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const [first, ...rest] = lines;
  if (first === undefined) return undefined;
  // The path ends where the next lines' indent does; it may hold spaces, so not a split.
  const indent = /^ +/.exec(rest[0] ?? '')?.[0].length;
  const width = samePrinted(first.slice(0, dir.length), dir)
    ? dir.length
    : indent !== undefined
      ? indent - 1
      : -1;
  if (width < 0 || first.charAt(width) !== ' ') return undefined;
  const entries: AclEntry[] = [];
  const head = parseEntry(first.slice(width + 1));
  if (head === undefined) return undefined;
  entries.push(head);
  for (const line of rest) {
    if (!line.startsWith(' ')) continue; // the closing count
    const entry = parseEntry(line.trim());
    if (entry === undefined) return undefined;
    entries.push(entry);
  }
  return entries;
}

/**
 * Rights that let a principal put files into the directory, replace or remove them, or take the
 * ACL over: full control, modify, write, delete, the specific write rights, and the generic ones.
 */
const WRITE_RIGHTS = new Set(['F', 'M', 'W', 'D', 'WD', 'AD', 'DC', 'DE', 'WDAC', 'WO', 'GA', 'GW', 'MA']);

/**
 * Principals that stand for every user of the machine (or of the domain), by SID and by name in
 * English, German, French, Spanish, Portuguese, Italian and Dutch Windows: icacls prints names in
 * the system's language, and a name not listed here is taken for an account the administrator
 * chose. CREATOR OWNER is not among them: its entry gives whoever creates a file in the directory
 * rights over that file, which matters only when someone else may create files there, and then
 * that other entry is the one refused (C:\Program Files has CREATOR OWNER and is private). Names
 * are compared after the last `\`, by {@link samePrinted}.
 */
const EVERYONE_ALIKE: readonly { sid: RegExp; names: readonly string[] }[] = [
  { sid: /^S-1-1-0$/, names: ['Everyone', 'Jeder', 'Tout le monde', 'Todos', 'Tutti', 'Iedereen'] },
  {
    sid: /^S-1-5-32-545$/,
    names: ['Users', 'Benutzer', 'Utilisateurs', 'Usuarios', 'Usuários', 'Utenti', 'Gebruikers'],
  },
  {
    sid: /^S-1-5-11$/,
    names: [
      'Authenticated Users',
      'Authentifizierte Benutzer',
      'Utilisateurs authentifiés',
      'Usuarios autentificados',
      'Usuários autenticados',
      'Utenti autenticati',
      'Geverifieerde gebruikers',
    ],
  },
  { sid: /^S-1-5-4$/, names: ['INTERACTIVE', 'INTERAKTIV'] },
  { sid: /^S-1-5-32-546$/, names: ['Guests', 'Gäste', 'Invités', 'Invitados', 'Convidados'] },
  { sid: /^S-1-5-7$/, names: ['ANONYMOUS LOGON', 'ANONYME ANMELDUNG'] },
  { sid: /^S-1-5-21-[0-9-]+-513$/, names: ['Domain Users', 'Domänen-Benutzer', 'Utilisateurs du domaine'] },
];

/** Whether a principal as printed (a name, or a SID icacls could not name) is one of {@link EVERYONE_ALIKE}. */
function everyoneAlike(principal: string): boolean {
  const sid = /^\*?(S-1-[0-9-]+)$/i.exec(principal)?.[1]?.toUpperCase();
  const name = principal.slice(principal.lastIndexOf('\\') + 1);
  return EVERYONE_ALIKE.some((p) =>
    sid !== undefined ? p.sid.test(sid) : p.names.some((n) => samePrinted(n, name)),
  );
}

/** What {@link judgeAcl} found. */
export type AclVerdict =
  /** Only named accounts and groups may write: none that stands for every user. */
  | { kind: 'private' }
  /** These entries let every user (or every user of the domain) write. */
  | { kind: 'open'; writers: AclEntry[] }
  /** Nothing could be read (no icacls, or Wine's, which prints nothing): privacy is not known. */
  | { kind: 'unknown' };

/**
 * Whether others may write to the directory, from `icacls DIR`. An allow entry with a write
 * right (on the directory itself or, inherit-only, on what is created in it) for a principal
 * that stands for every user makes it open; deny entries are not weighed against them. Entries
 * for named accounts and groups are the administrator's choice. Output with no entry that can be
 * read is unknown, never private.
 * @param output what icacls printed
 * @param dir the directory, as given to icacls
 */
export function judgeAcl(output: string, dir: string): AclVerdict {
  const entries = parseIcacls(output, dir);
  if (entries === undefined) return { kind: 'unknown' };
  const writers = entries.filter(
    (e) => !e.deny && e.rights.some((r) => WRITE_RIGHTS.has(r)) && everyoneAlike(e.principal),
  );
  return writers.length > 0 ? { kind: 'open', writers } : { kind: 'private' };
}

/**
 * An entry as icacls prints it, for messages.
 * @param entry the entry
 */
export function formatEntry(entry: AclEntry): string {
  const groups = [...entry.flags, ...(entry.deny ? ['DENY'] : []), entry.rights.join(',')];
  return `${entry.principal}:${groups.map((g) => `(${g})`).join('')}`;
}

/** What `icacls DIR` gave: its output, and why it failed when it did (not found, an exit code). */
export interface IcaclsListing {
  /** Standard output, decoded byte for byte. */
  output: string;
  /** Why icacls did not list the ACL (it could not be started, or it failed), if so. */
  failure?: string;
}

/**
 * The state directory's ACL judged (see {@link judgeAcl}): nothing when only adsync's account
 * and chosen others may write there, a warning when that cannot be known, an error when every
 * user may write there. Wine's icacls prints nothing (Wine does not implement it) and ACLs there are not
 * enforced, so under Wine this warns: a warning, because refusing would stop every run where
 * nothing can be checked, and never a silent pass, which would claim a privacy nobody checked.
 * @param dir the state directory
 * @param listing what `icacls DIR` gave
 * @param account the running account, for the command in the hint (`DOMAIN\name`)
 * @returns a warning, or undefined
 * @throws {ConfigError} when principals that stand for every user may write there
 */
export function checkStateDirAcl(dir: string, listing: IcaclsListing, account: string): string | undefined {
  const verdict = judgeAcl(listing.output, dir);
  if (verdict.kind === 'private') return undefined;
  if (verdict.kind === 'unknown') {
    const why = listing.failure ?? 'icacls listed no ACL adsync could read';
    return `cannot check who may write to the state directory ${dir} (${why}): make sure only this account, SYSTEM and Administrators can (\`${privateAclCommand(dir, account)}\`)`;
  }
  const who = verdict.writers.map(formatEntry).join(', ');
  throw new ConfigError(
    'CONFIG_INVALID',
    `the state directory ${dir} can be written by every user of this machine: ${who}`,
    {
      hint: `adsync keeps its lock and the last good push there, so it must be its own: run \`${privateAclCommand(dir, account)}\` (only this account, SYSTEM and Administrators keep access), or point state.dir at a directory only adsync's account can write to.`,
    },
  );
}
