import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { removeDir } from './files.ts';
import type { Kdc } from './kdc.ts';
import { startServerProcess } from './process.ts';
import { makeCa, makeServerCert, type KeyPair } from './tls.ts';
import { clientCertLines, type ClientCertOptions } from './slapd-client-certs.ts';

const run = promisify(execFile);

/** Where Debian puts slapd and its modules. */
const SLAPD = ['/usr/sbin/slapd', '/usr/local/sbin/slapd'].find((p) => existsSync(p));
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = [
  '/usr/lib/ldap',
  '/usr/lib/x86_64-linux-gnu/ldap',
  '/usr/lib/aarch64-linux-gnu/ldap',
].find((p) => existsSync(join(p, 'back_mdb.la')) || existsSync(join(p, 'back_mdb.so')));

/** Where this machine's slapd, its modules and its schema files are (undefined: not installed). */
export function slapdInstallation(): { slapd: string; moduleDir: string; schemaDir: string } | undefined {
  return SLAPD && MODULE_DIR ? { slapd: SLAPD, moduleDir: MODULE_DIR, schemaDir: SCHEMA_DIR } : undefined;
}

/** The shared Planet Express fixtures (MIT), beside the repository. */
export const PLANET_EXPRESS_DIR = fileURLToPath(
  new URL('../../../shared/fixtures/planetexpress/', import.meta.url),
);

/**
 * Why slapd cannot be used here, or undefined when it can. On CI a missing slapd is a failure,
 * not a skip: `.ci/run` installs it.
 */
export function slapdUnavailable(): string | undefined {
  if (!SLAPD) return 'slapd is not installed (Debian: apt-get install slapd ldap-utils)';
  if (!MODULE_DIR) return 'slapd modules (back_mdb) not found';
  if (spawnSync('ldapadd', ['-VV']).error) return 'ldapadd (ldap-utils) is not installed';
  if (spawnSync('openssl', ['version']).error) return 'openssl is not installed';
  return undefined;
}

/** A database served by the test slapd. */
export interface DatabaseSpec {
  /** Suffix, e.g. dc=example,dc=com. */
  suffix: string;
  /** Object class of groups, for the memberOf overlay. */
  groupClass: string;
  /** LDIF files or texts loaded in order through ldapadd (so the memberOf overlay sees them). */
  ldif: { file?: string; text?: string }[];
  /** Extra slapd.conf lines inside the database section (limits…). */
  extra?: string[];
}

/** A running slapd. */
export interface Slapd {
  /** ldap:// URL (plain and StartTLS). */
  url: string;
  /** ldaps:// URL. */
  ldapsUrl: string;
  /** Port of the plain listener. */
  port: number;
  /** PEM of the CA that issued the server certificate. */
  caFile: string;
  /** PEM of an unrelated CA (for "wrong CA" tests). */
  otherCaFile: string;
  /** Root DN per suffix: cn=admin,<suffix>. */
  rootDN(suffix: string): string;
  /** The root password. */
  rootPassword: string;
  /** Temporary directory holding everything. */
  dir: string;
  /** Set when started with {@link SlapdOptions.gssapi}. */
  gssapi?: {
    /** The service principal slapd accepts, ldap/<host>@REALM (its key is in slapd's keytab). */
    spn: string;
    /** The host of {@link Slapd.url} and {@link Slapd.ldapsUrl}, slapd's sasl-host. */
    host: string;
  };
  /** The CA whose client certificates slapd accepts (with the `clientCerts` option). */
  clientCa?: KeyPair;
  /** Stop slapd and remove its files. */
  stop(): Promise<void>;
}

/** Options of {@link startSlapd}. */
export interface SlapdOptions {
  /**
   * Accept Kerberos (SASL GSSAPI) binds from this realm: slapd gets a keytab of its own holding
   * ldap/<host>@REALM (made in the KDC), `sasl-host <host>`, `sasl-realm` and one `authz-regexp`
   * from `uid=<principal name>,cn=<realm lower case>,cn=gssapi,cn=auth` (the DN slapd gives a
   * GSSAPI identity before mapping) to {@link SlapdGssapi.mapTo}.
   */
  gssapi?: SlapdGssapi;
  /** Demand TLS client certificates and map them (SASL EXTERNAL). */
  clientCerts?: ClientCertOptions;
  /** More global slapd.conf lines (e.g. `sasl-secprops`), before the databases. */
  global?: string[];
}

/** How slapd accepts GSSAPI binds. */
export interface SlapdGssapi {
  /** The realm's KDC. */
  kdc: Kdc;
  /**
   * The host of the URLs (and so of the SPN clients ask for, ldap/<host>): slapd listens on
   * 127.0.0.1 either way and its certificate names both. Default 127.0.0.1.
   */
  host?: '127.0.0.1' | 'localhost';
  /**
   * authz-regexp replacement, `$1` being the principal's name without the realm: a DN
   * (`uid=$1,ou=people,dc=example,dc=com`: every principal is mapped) or a search URL
   * (`ldap:///ou=people,dc=example,dc=com??one?(uid=$1)`: a principal without an entry keeps
   * its cn=gssapi,cn=auth DN).
   */
  mapTo: string;
}

/**
 * Make slapd's service key and the slapd.conf lines and environment for GSSAPI binds. The
 * replay cache goes into slapd's directory, not /var/tmp.
 * @param dir slapd's temporary directory
 * @param options the realm and the mapping
 */
async function gssapiSetup(
  dir: string,
  options: SlapdGssapi,
): Promise<{ conf: string; env: Record<string, string>; spn: string; host: string }> {
  const { kdc, mapTo } = options;
  const host = options.host ?? '127.0.0.1';
  if (/["\\\n]/.test(mapTo)) throw new Error(`mapTo cannot hold quotes or backslashes: ${mapTo}`);
  // A second slapd of the same host on one KDC shares the service principal (and its keys).
  const spn = await kdc.addPrincipal(`ldap/${host}`).catch((error: unknown) => {
    if (error instanceof Error && /already exists/.test(error.message)) return `ldap/${host}@${kdc.realm}`;
    throw error;
  });
  const keytab = await kdc.keytab([spn], join(dir, 'ldap.keytab'));
  const rcache = join(dir, 'rcache');
  await mkdir(rcache);
  const conf = `sasl-host ${host}
sasl-realm ${kdc.realm}
authz-regexp "^uid=([^,]*),cn=${kdc.realm.toLowerCase()},cn=gssapi,cn=auth$" "${mapTo}"
`;
  const env = { ...kdc.env, KRB5_KTNAME: `FILE:${keytab}`, KRB5RCACHEDIR: rcache };
  return { conf, env, spn, host };
}

/**
 * A slapd of its own with only the test company (dc=example,dc=com): for tests that change the
 * directory, and for the quick start.
 */
export function startExampleSlapd(): Promise<Slapd> {
  return startSlapd([
    {
      suffix: 'dc=example,dc=com',
      groupClass: 'groupOfNames',
      ldif: [{ file: fileURLToPath(new URL('../fixtures/example.ldif', import.meta.url)) }],
    },
  ]);
}

/**
 * Run an ldap-utils tool (ldapmodify, ldapdelete…) as the root DN of a suffix, to change the
 * directory in a test.
 * @param slapd the server
 * @param tool the program
 * @param suffix whose root DN binds
 * @param args the tool's remaining arguments
 */
export async function asRoot(
  slapd: Slapd,
  tool: 'ldapmodify' | 'ldapdelete',
  suffix: string,
  args: string[],
): Promise<void> {
  await run(tool, ['-x', '-H', slapd.url, '-D', slapd.rootDN(suffix), '-w', slapd.rootPassword, ...args]);
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/**
 * Planet Express uses AD's `Group` class; this is its schema in slapd.conf form, with one of AD's
 * Octet String attributes (published in the subschema entry, on no entry) for the binary checks.
 */
const MSAD_SCHEMA = `attributetype ( 1.2.840.113556.1.4.750 NAME 'groupType'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.7000.102.50.2 NAME 'msExchSafeSendersHash'
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
objectclass ( 1.2.840.113556.1.5.8 NAME 'Group' DESC 'a group of users'
  SUP top STRUCTURAL MUST ( groupType $ cn ) MAY ( member ) )
`;

/**
 * Whether something accepts TCP connections on a loopback port.
 * @param port the port
 */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

export async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${log()}`);
    if (await listening(port)) return;
    if (Date.now() > deadline) throw new Error(`the server did not listen on ${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start a slapd on free loopback ports with a CA of its own, the given databases (each with the
 * memberOf overlay) and their LDIF loaded.
 * @param databases the suffixes and their data
 * @param options GSSAPI binds; clientCerts: demand TLS client certificates and map them (SASL EXTERNAL)
 */
export async function startSlapd(databases: DatabaseSpec[], options: SlapdOptions = {}): Promise<Slapd> {
  const problem = slapdUnavailable();
  if (problem) throw new Error(problem);
  const dir = await mkdtemp(join(tmpdir(), 'adsync-slapd-'));
  const ca = await makeCa(dir, 'test-ca');
  const other = await makeCa(dir, 'other-ca');
  const server = await makeServerCert(dir, ca);
  const port = await freePort();
  const tlsPort = await freePort();
  const rootPassword = 'root-secret';
  await writeFile(join(dir, 'msad.schema'), MSAD_SCHEMA);
  // A KDC that refuses the service principal must not leave slapd's directory behind.
  const gssapi = options.gssapi
    ? await gssapiSetup(dir, options.gssapi).catch(async (error: unknown) => {
        await removeDir(dir);
        throw error;
      })
    : undefined;
  const clientCerts = options.clientCerts && (await clientCertLines(dir, ca, options.clientCerts));

  const dbSections: string[] = [];
  for (const [i, db] of databases.entries()) {
    const dbDir = join(dir, `db${i}`);
    await mkdir(dbDir);
    dbSections.push(`database mdb
suffix "${db.suffix}"
rootdn "cn=admin,${db.suffix}"
rootpw ${rootPassword}
directory ${dbDir}
maxsize 268435456
index objectClass eq
index memberOf eq
${(db.extra ?? []).join('\n')}
overlay memberof
memberof-group-oc ${db.groupClass}
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
`);
  }
  const conf = `include ${SCHEMA_DIR}/core.schema
include ${SCHEMA_DIR}/cosine.schema
include ${SCHEMA_DIR}/inetorgperson.schema
include ${SCHEMA_DIR}/nis.schema
include ${join(dir, 'msad.schema')}
modulepath ${MODULE_DIR ?? ''}
moduleload back_mdb
moduleload memberof
pidfile ${join(dir, 'slapd.pid')}
TLSCACertificateFile ${ca.cert}
TLSCertificateFile ${server.cert}
TLSCertificateKeyFile ${server.key}
TLSProtocolMin 3.3
${clientCerts?.lines.join('\n') ?? ''}
sizelimit unlimited
${gssapi?.conf ?? ''}
${(options.global ?? []).join('\n')}
${dbSections.join('\n')}
`;
  const confFile = join(dir, 'slapd.conf');
  await writeFile(confFile, conf);

  const proc = startServerProcess(
    SLAPD ?? 'slapd',
    ['-f', confFile, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', '0'],
    dir,
    3000,
    gssapi?.env,
  );
  const { child, stop } = proc;
  try {
    await waitForPort(port, child, proc.output);
    await waitForPort(tlsPort, child, proc.output);
    for (const db of databases) {
      const suffixRdn = /^dc=([^,]+)/i.exec(db.suffix)?.[1] ?? 'example';
      const base = `dn: ${db.suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${suffixRdn}\no: ${suffixRdn}\n`;
      for (const item of [{ text: base }, ...db.ldif]) {
        const file = item.file ?? join(dir, `load-${Math.random().toString(36).slice(2)}.ldif`);
        if (item.text !== undefined) await writeFile(file, item.text);
        try {
          await run('ldapadd', [
            '-x',
            '-H',
            `ldap://127.0.0.1:${port}`,
            '-D',
            `cn=admin,${db.suffix}`,
            '-w',
            rootPassword,
            '-f',
            file,
          ]);
        } catch (error) {
          const e = error as { stderr?: string };
          const head = (await readFile(file, 'utf8')).slice(0, 400);
          throw new Error(
            `ldapadd ${item.file ?? '(inline)'} failed: ${e.stderr ?? String(error)}\n${head}`,
            { cause: error },
          );
        }
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const host = gssapi?.host ?? '127.0.0.1';
  return {
    url: `ldap://${host}:${port}`,
    ldapsUrl: `ldaps://${host}:${tlsPort}`,
    ...(gssapi && { gssapi: { spn: gssapi.spn, host } }),
    port,
    caFile: ca.cert,
    otherCaFile: other.cert,
    rootDN: (suffix) => `cn=admin,${suffix}`,
    rootPassword,
    dir,
    stop,
    ...(clientCerts ? { clientCa: clientCerts.clientCa } : {}),
  };
}

/**
 * A TCP proxy on loopback that forwards to a port until the server has sent `afterBytes` bytes,
 * then either cuts the connection (a real dropped connection in the middle of a search) or
 * stalls it (a server that stops answering).
 * @param targetPort where to forward
 * @param afterBytes server-to-client bytes forwarded
 * @param mode cut or stall
 */
export async function startCuttingProxy(
  targetPort: number,
  afterBytes: number,
  mode: 'cut' | 'stall' = 'cut',
): Promise<{ port: number; dropAll(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let sent = 0;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      sent += d.length;
      if (sent > afterBytes) {
        client.write(d.subarray(0, Math.max(0, d.length - (sent - afterBytes))));
        if (mode === 'stall') return;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    }),
  );
  return {
    port,
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
