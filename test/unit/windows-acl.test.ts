import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/errors.js';
import {
  accountForGrant,
  checkStateDirAcl,
  judgeAcl,
  parseIcacls,
  privateAclArgs,
  privateAclCommand,
} from '../../src/state/windows-acl.js';

// Output of `icacls DIR` as Windows prints it into a pipe: the path and the first entry, further
// entries indented to the same column, a blank line and the count (in the system's language).
// Piped, icacls writes in the OEM code page; adsync reads it byte for byte (latin1), so the
// German "Ä" of code page 850 (0x8E) arrives as "\x8e".
const lines = (...text: string[]): string => `${text.join('\r\n')}\r\n`;

const PROGRAMDATA = 'C:\\ProgramData\\adsync\\state';

/** A folder created under C:\ProgramData: all inherited, Users may create files. */
const inheritedFromProgramData = lines(
  'C:\\ProgramData\\adsync\\state NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)',
  '                            BUILTIN\\Administrators:(I)(OI)(CI)(F)',
  '                            CREATOR OWNER:(I)(OI)(CI)(IO)(F)',
  '                            BUILTIN\\Users:(I)(OI)(CI)(RX)',
  '                            BUILTIN\\Users:(I)(CI)(WD,AD,WEA,A)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
);

/** The same folder after privateAclCommand. */
const madePrivate = lines(
  'C:\\ProgramData\\adsync\\state NT AUTHORITY\\SYSTEM:(OI)(CI)(F)',
  '                            BUILTIN\\Administrators:(OI)(CI)(F)',
  '                            CORP\\svc-adsync$:(OI)(CI)(F)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
);

const GERMAN_DIR = 'D:\\Daten\\adsync state';
/** German Windows, a path with a space: Authenticated Users may change files created inside. */
const german = lines(
  'D:\\Daten\\adsync state NT-AUTORIT\x8eT\\SYSTEM:(OI)(CI)(F)',
  '                      VORDEFINIERT\\Administratoren:(OI)(CI)(F)',
  '                      VORDEFINIERT\\Benutzer:(OI)(CI)(RX)',
  '                      NT-AUTORIT\x8eT\\Authentifizierte Benutzer:(OI)(CI)(IO)(M)',
  '                      Mandatory Label\\High Mandatory Level:(OI)(NP)(IO)(NW)',
  '',
  '1 Dateien erfolgreich verarbeitet, bei 0 Dateien ist ein Verarbeitungsfehler aufgetreten.',
);

const FRENCH_DIR = 'C:\\Données\\adsync';
/** French Windows; the path's "é" printed as code page 850's 0x82. */
const french = lines(
  'C:\\Donn\x82es\\adsync AUTORITE NT\\Syst\x8ame:(OI)(CI)(F)',
  '                   BUILTIN\\Administrateurs:(OI)(CI)(F)',
  '                   AUTORITE NT\\Utilisateurs authentifi\x82s:(OI)(CI)(RX)',
  '                   Tout le monde:(OI)(CI)(RX,W)',
  '                   CREATEUR PROPRIETAIRE:(OI)(CI)(IO)(F)',
  '',
  '1 fichiers correctement traités ; échec du traitement de 0 fichiers',
);

/** An administrators' group may write, Everyone is denied writing; SIDs icacls could not name. */
const namedGroupsAndSids = lines(
  'E:\\adsync\\state NT AUTHORITY\\SYSTEM:(OI)(CI)(F)',
  '                 Everyone:(DENY)(OI)(CI)(W)',
  '                 CORP\\adsync-admins:(OI)(CI)(M)',
  '                 S-1-5-21-1004336348-1177238915-682003330-1105:(OI)(CI)(F)',
  '                 BUILTIN\\Users:(OI)(CI)(RX)',
  '',
  'Successfully processed 1 files; Failed processing 0 files',
);

describe('icacls output', () => {
  it('reads the entries: principal, inheritance flags, rights, deny', () => {
    expect(parseIcacls(inheritedFromProgramData, PROGRAMDATA)).toEqual([
      { principal: 'NT AUTHORITY\\SYSTEM', flags: ['I', 'OI', 'CI'], rights: ['F'], deny: false },
      { principal: 'BUILTIN\\Administrators', flags: ['I', 'OI', 'CI'], rights: ['F'], deny: false },
      { principal: 'CREATOR OWNER', flags: ['I', 'OI', 'CI', 'IO'], rights: ['F'], deny: false },
      { principal: 'BUILTIN\\Users', flags: ['I', 'OI', 'CI'], rights: ['RX'], deny: false },
      { principal: 'BUILTIN\\Users', flags: ['I', 'CI'], rights: ['WD', 'AD', 'WEA', 'A'], deny: false },
    ]);
    expect(parseIcacls(namedGroupsAndSids, 'E:\\adsync\\state')?.[1]).toEqual({
      principal: 'Everyone',
      flags: ['OI', 'CI'],
      rights: ['W'],
      deny: true,
    });
  });

  it('finds where the path ends when it was printed in another code page, or with one entry only', () => {
    expect(parseIcacls(french, FRENCH_DIR)?.map((e) => e.principal)).toEqual([
      'AUTORITE NT\\Syst\x8ame',
      'BUILTIN\\Administrateurs',
      'AUTORITE NT\\Utilisateurs authentifi\x82s',
      'Tout le monde',
      'CREATEUR PROPRIETAIRE',
    ]);
    // Given another spelling of the path, the indent of the next lines tells where it ends.
    expect(parseIcacls(german, 'd:\\daten\\ADSYNC STATE\\')?.length).toBe(5);
    expect(parseIcacls(lines('C:\\a b\\state CORP\\adsync:(OI)(CI)(F)', ''), 'C:\\a b\\state')).toEqual([
      { principal: 'CORP\\adsync', flags: ['OI', 'CI'], rights: ['F'], deny: false },
    ]);
  });

  it('has nothing to read in an error, an empty output (Wine) or another path', () => {
    expect(parseIcacls('', PROGRAMDATA)).toBeUndefined();
    const missing = lines(
      'C:\\ProgramData\\adsync\\state: The system cannot find the file specified.',
      'Successfully processed 0 files; Failed processing 1 files',
    );
    expect(parseIcacls(missing, PROGRAMDATA)).toBeUndefined();
    expect(parseIcacls(lines('C:\\elsewhere CORP\\adsync:(F)'), PROGRAMDATA)).toBeUndefined();
  });
});

describe('who may write to the state directory', () => {
  it('every user: Users who may add files, Everyone, Authenticated Users (CREATOR OWNER only follows them)', () => {
    const writers = (output: string, dir: string): string[] => {
      const verdict = judgeAcl(output, dir);
      return verdict.kind === 'open' ? verdict.writers.map((w) => w.principal) : [verdict.kind];
    };
    expect(writers(inheritedFromProgramData, PROGRAMDATA)).toEqual(['BUILTIN\\Users']);
    expect(writers(german, GERMAN_DIR)).toEqual(['NT-AUTORIT\x8eT\\Authentifizierte Benutzer']);
    expect(writers(french, FRENCH_DIR)).toEqual(['Tout le monde']);
    const domainUsers = lines(
      'C:\\s NT AUTHORITY\\SYSTEM:(F)',
      '     S-1-5-21-1004336348-1177238915-682003330-513:(OI)(CI)(M)',
    );
    expect(writers(domainUsers, 'C:\\s')).toEqual(['S-1-5-21-1004336348-1177238915-682003330-513']);
  });

  it('private: C:\\Program Files, where CREATOR OWNER may write but nobody else may create files', () => {
    const programFiles = lines(
      'C:\\Program Files NT SERVICE\\TrustedInstaller:(F)',
      '                 NT SERVICE\\TrustedInstaller:(CI)(IO)(F)',
      '                 NT AUTHORITY\\SYSTEM:(M)',
      '                 NT AUTHORITY\\SYSTEM:(OI)(CI)(IO)(F)',
      '                 BUILTIN\\Administrators:(M)',
      '                 BUILTIN\\Administrators:(OI)(CI)(IO)(F)',
      '                 BUILTIN\\Users:(RX)',
      '                 BUILTIN\\Users:(OI)(CI)(IO)(GR,GE)',
      '                 CREATOR OWNER:(OI)(CI)(IO)(F)',
    );
    expect(judgeAcl(programFiles, 'C:\\Program Files')).toEqual({ kind: 'private' });
  });

  it('private: the account, SYSTEM, Administrators, chosen groups; read-only and denied entries', () => {
    expect(judgeAcl(madePrivate, PROGRAMDATA)).toEqual({ kind: 'private' });
    expect(judgeAcl(namedGroupsAndSids, 'E:\\adsync\\state')).toEqual({ kind: 'private' });
  });

  it('nothing readable is unknown, never private', () => {
    expect(judgeAcl('', PROGRAMDATA)).toEqual({ kind: 'unknown' });
  });

  it('refuses a directory every user may write to, naming them and the command that fixes it', () => {
    let error: unknown;
    try {
      checkStateDirAcl(PROGRAMDATA, { output: inheritedFromProgramData }, 'CORP\\svc-adsync$');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      exitCode: 2,
      message: `the state directory ${PROGRAMDATA} can be written by every user of this machine: BUILTIN\\Users:(I)(CI)(WD,AD,WEA,A)`,
      hint: expect.stringContaining(
        // PowerShell would expand `$:` inside double quotes: the gMSA's name is single-quoted.
        'run `icacls C:\\ProgramData\\adsync\\state /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" \'CORP\\svc-adsync$:(OI)(CI)F\'`',
      ) as string,
    });
  });

  it('warns, naming why, when the ACL cannot be read (no icacls; Wine prints nothing)', () => {
    expect(checkStateDirAcl(PROGRAMDATA, { output: madePrivate }, 'CORP\\a')).toBeUndefined();
    const missing = checkStateDirAcl(
      PROGRAMDATA,
      { output: '', failure: 'icacls.exe: spawn C:\\Windows\\System32\\icacls.exe ENOENT' },
      'CORP\\a',
    );
    expect(missing).toMatch(/^cannot check who may write to the state directory .*ENOENT\): make sure only/);
    expect(checkStateDirAcl(PROGRAMDATA, { output: '' }, 'CORP\\a')).toContain(
      'icacls listed no ACL adsync could read',
    );
  });
});

describe('the ACL adsync gives a state directory it creates', () => {
  it('grants full control to SYSTEM, Administrators and the account, by SID where known', () => {
    const whoami = '"corp\\svc-adsync$","S-1-5-21-1004336348-1177238915-682003330-1105"\r\n';
    const account = accountForGrant(whoami, 'svc-adsync$', 'CORP');
    expect(account).toBe('*S-1-5-21-1004336348-1177238915-682003330-1105');
    expect(privateAclArgs(account)).toEqual([
      '/inheritance:r',
      '/grant:r',
      '*S-1-5-18:(OI)(CI)F',
      '*S-1-5-32-544:(OI)(CI)F',
      '*S-1-5-21-1004336348-1177238915-682003330-1105:(OI)(CI)F',
    ]);
    // Without whoami: the name, with the domain where there is one.
    expect(accountForGrant(undefined, 'alice', 'CORP')).toBe('CORP\\alice');
    expect(accountForGrant('', 'alice', undefined)).toBe('alice');
    // A task run as SYSTEM: granted once, by its SID.
    const system = accountForGrant(undefined, 'SYSTEM', 'CORP');
    expect(privateAclArgs(system)).toEqual([
      '/inheritance:r',
      '/grant:r',
      '*S-1-5-18:(OI)(CI)F',
      '*S-1-5-32-544:(OI)(CI)F',
    ]);
    expect(privateAclCommand('C:\\My State', 'CORP\\Jane Doe')).toBe(
      'icacls "C:\\My State" /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" "CORP\\Jane Doe:(OI)(CI)F"',
    );
  });
});
