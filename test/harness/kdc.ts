import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { removeDir, tempDir } from './files.ts';
import { startServerProcess } from './process.ts';
import { freePort, waitForPort } from './slapd.ts';

/** Where Debian puts the MIT KDC's programs (krb5-kdc, krb5-admin-server). */
const sbin = (name: string): string | undefined =>
  [`/usr/sbin/${name}`, `/usr/local/sbin/${name}`].find((p) => existsSync(p));
const KRB5KDC = sbin('krb5kdc');
const KDB5_UTIL = sbin('kdb5_util');
const KADMIN_LOCAL = sbin('kadmin.local');

/** Cyrus SASL's GSSAPI plugin, without which slapd offers no GSSAPI (libsasl2-modules-gssapi-mit). */
const SASL_GSSAPI = [
  '/usr/lib/x86_64-linux-gnu/sasl2',
  '/usr/lib/aarch64-linux-gnu/sasl2',
  '/usr/lib/sasl2',
].some((dir) => existsSync(join(dir, 'libgssapiv2.so')));

/**
 * Why a private MIT Kerberos realm cannot be run here, or undefined when it can. The tests that
 * need it call {@link kerberosSkip}, which makes a missing tool a failure on CI.
 */
export function kerberosUnavailable(): string | undefined {
  if (!KRB5KDC || !KDB5_UTIL) return 'krb5kdc/kdb5_util are not installed (Debian: apt-get install krb5-kdc)';
  if (!KADMIN_LOCAL) return 'kadmin.local is not installed (Debian: apt-get install krb5-admin-server)';
  if (spawnSync('kinit', ['--help']).error || spawnSync('klist', ['-V']).error)
    return 'kinit/klist are not installed (Debian: apt-get install krb5-user)';
  if (!SASL_GSSAPI)
    return "Cyrus SASL's GSSAPI plugin is not installed (Debian: apt-get install libsasl2-modules-gssapi-mit)";
  return undefined;
}

/**
 * Why the Kerberos tests of a file are skipped, for `describe.skipIf`: undefined when they run.
 * Locally a missing tool is a loud skip (a banner on stderr); on CI (CI set) it is a failure,
 * as for slapd and Samba in global-setup.ts, because .ci/run installs the packages.
 * @param also another reason to skip (e.g. slapdUnavailable()), reported the same way
 * @throws {Error} on CI when something is missing
 */
export function kerberosSkip(also?: string): string | undefined {
  const missing = kerberosUnavailable() ?? also;
  if (!missing) return undefined;
  if (process.env.CI) throw new Error(`CI must run the Kerberos tests, but ${missing}`);
  const line = '!'.repeat(78);
  console.error(`\n${line}\n!! SKIPPING the Kerberos tests of this file: ${missing}\n${line}\n`);
  return missing;
}

/** A private MIT Kerberos realm whose KDC listens on a free loopback port. */
export interface Kdc {
  /** The realm, e.g. ADSYNC.TEST. */
  realm: string;
  /** The KDC's port on 127.0.0.1 (TCP; UDP too, but clients are told to use TCP). */
  port: number;
  /** Temporary directory holding the database, the configs, keytabs and caches; removed by stop. */
  dir: string;
  /**
   * Environment for Kerberos clients of this realm: `KRB5_CONFIG` (the private krb5.conf, whose
   * default ccache and keytabs are in {@link Kdc.dir}, so nothing of the machine's is read).
   * Add `KRB5CCNAME` (`MEMORY:` or `FILE:<ticketCache()>`) and/or `KRB5_CLIENT_KTNAME`.
   */
  env: Record<string, string>;
  /**
   * Create a principal: with a password (kinit-able) or a random key (for keytabs).
   * @returns the full name, e.g. alice@ADSYNC.TEST
   */
  addPrincipal(name: string, options?: { password?: string }): Promise<string>;
  /**
   * Write the keys of principals to a keytab (their current keys: a password principal still
   * accepts its password).
   * @param principals names with or without the realm
   * @param path the keytab file (default: in {@link Kdc.dir}, named after the first principal)
   * @returns the keytab path (use as `KRB5_CLIENT_KTNAME`, `KRB5_KTNAME` or `kerberos.keytab`)
   */
  keytab(principals: string[], path?: string): Promise<string>;
  /**
   * Get a ticket-granting ticket with kinit into a new FILE ccache in {@link Kdc.dir}.
   * @returns the ccache file path (use as `KRB5CCNAME=FILE:<path>`)
   */
  ticketCache(principal: string, password: string): Promise<string>;
  /** Stop the KDC and remove {@link Kdc.dir}. */
  stop(): Promise<void>;
}

/** Options of {@link startKdc}. */
export interface KdcOptions {
  /** The realm (default ADSYNC.TEST). */
  realm?: string;
  /** Host names mapped to the realm in [domain_realm] (default 127.0.0.1 and localhost). */
  hosts?: string[];
}

/**
 * Run a Kerberos tool with the realm's environment, feeding `input` on stdin (passwords go there,
 * never on the command line), and fail with its output on a non-zero exit.
 */
function runTool(
  command: string,
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args[0] ?? ''} exited with ${String(code)}:\n${stdout}${stderr}`));
    });
    child.stdin.end(input);
  });
}

/** Principal names and paths go into kadmin's query line, which splits on blanks and quotes. */
function checkWord(word: string): string {
  if (!/^[\w./@:+-]+$/.test(word)) throw new Error(`unsupported character in ${JSON.stringify(word)}`);
  return word;
}

/**
 * One kadmin.local query. kadmin.local exits 0 even when the query fails, so anything on stderr
 * but its "no policy" notice is taken as the failure it is.
 */
async function kadmin(env: Record<string, string>, query: string, input?: string): Promise<string> {
  const { stdout, stderr } = await runTool(KADMIN_LOCAL ?? 'kadmin.local', ['-q', query], env, input);
  const problems = stderr.split('\n').filter((l) => l.trim() && !/^No policy specified/.test(l));
  if (problems.length > 0)
    throw new Error(`kadmin.local ${query.split(' ')[0] ?? ''}: ${problems.join('\n')}`);
  return stdout;
}

function kdcConf(dir: string, realm: string, port: number): string {
  return `[kdcdefaults]
 kdc_listen = 127.0.0.1:${port}
 kdc_tcp_listen = 127.0.0.1:${port}
[realms]
 ${realm} = {
  database_name = ${join(dir, 'principal')}
  key_stash_file = ${join(dir, 'stash')}
  acl_file = ${join(dir, 'kadm5.acl')}
  kdc_listen = 127.0.0.1:${port}
  kdc_tcp_listen = 127.0.0.1:${port}
 }
[logging]
 kdc = STDERR
 admin_server = FILE:${join(dir, 'kadmin.log')}
 default = FILE:${join(dir, 'krb5lib.log')}
`;
}

/** No DNS, no reverse lookups (an SPN is the URL's host as written), TCP, every default path private. */
function krb5Conf(dir: string, realm: string, port: number, hosts: string[]): string {
  return `[libdefaults]
 default_realm = ${realm}
 dns_lookup_kdc = false
 dns_lookup_realm = false
 dns_canonicalize_hostname = false
 rdns = false
 udp_preference_limit = 1
 default_ccache_name = FILE:${join(dir, 'default.ccache')}
 default_keytab_name = FILE:${join(dir, 'default.keytab')}
 default_client_keytab_name = FILE:${join(dir, 'default-client.keytab')}
[realms]
 ${realm} = {
  kdc = 127.0.0.1:${port}
 }
[domain_realm]
${hosts.map((h) => ` ${h} = ${realm}`).join('\n')}
`;
}

/**
 * Start a private MIT Kerberos KDC on a free loopback port: a new database in a temporary
 * directory (kdb5_util create), `krb5kdc -n` in the foreground, and a krb5.conf for clients.
 * Nothing outside the directory is read or written (KRB5_CONFIG and KRB5_KDC_PROFILE point
 * into it).
 * @param options realm and host names
 */
export async function startKdc(options: KdcOptions = {}): Promise<Kdc> {
  const problem = kerberosUnavailable();
  if (problem) throw new Error(problem);
  const realm = options.realm ?? 'ADSYNC.TEST';
  const dir = await tempDir('adsync-kdc-');
  const port = await freePort();
  const env = { KRB5_CONFIG: join(dir, 'krb5.conf') };
  const adminEnv = { ...env, KRB5_KDC_PROFILE: join(dir, 'kdc.conf') };
  try {
    await writeFile(adminEnv.KRB5_KDC_PROFILE, kdcConf(dir, realm, port));
    await writeFile(env.KRB5_CONFIG, krb5Conf(dir, realm, port, options.hosts ?? ['127.0.0.1', 'localhost']));
    await writeFile(join(dir, 'kadm5.acl'), '');
    // The master key only protects this throw-away database; it is stashed (-s) and never shown.
    const master = randomBytes(18).toString('base64url');
    await runTool(
      KDB5_UTIL ?? 'kdb5_util',
      ['create', '-s', '-r', realm],
      adminEnv,
      `${master}\n${master}\n`,
    );
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
  const proc = startServerProcess(KRB5KDC ?? 'krb5kdc', ['-n', '-r', realm], dir, 3000, adminEnv);
  try {
    await waitForPort(port, proc.child, proc.output);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  const full = (name: string): string => checkWord(name.includes('@') ? name : `${name}@${realm}`);
  let caches = 0;
  return {
    realm,
    port,
    dir,
    env,
    addPrincipal: async (name, principalOptions = {}) => {
      const principal = full(name);
      const { password } = principalOptions;
      if (password === undefined) await kadmin(adminEnv, `addprinc -randkey ${principal}`);
      else await kadmin(adminEnv, `addprinc ${principal}`, `${password}\n${password}\n`);
      return principal;
    },
    keytab: async (principals, path) => {
      const names = principals.map(full);
      const file = path ?? join(dir, `${(names[0] ?? 'empty').replace(/[^\w.-]/g, '_')}.keytab`);
      const out = await kadmin(adminEnv, `ktadd -k ${checkWord(file)} -norandkey ${names.join(' ')}`);
      if (!out.includes('added to keytab')) throw new Error(`kadmin.local ktadd wrote no key:\n${out}`);
      return file;
    },
    ticketCache: async (principal, password) => {
      caches += 1;
      const file = join(dir, `ticket-${String(caches)}.ccache`);
      await runTool('kinit', [full(principal)], { ...env, KRB5CCNAME: `FILE:${file}` }, `${password}\n`);
      return file;
    },
    stop: proc.stop,
  };
}
