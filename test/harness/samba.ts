import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { AD, adLdif } from './ad-data.ts';
import { startServerProcess } from './process.ts';
import { listening, waitForPort } from './slapd.ts';
import { makeCa, makeServerCert } from './tls.ts';

const run = promisify(execFile);

/**
 * Why a Samba AD DC cannot be started here, or undefined when it can. It needs root (it binds
 * 389/636 and provisions a domain) and Debian's samba; on CI a missing one is a failure.
 */
export async function sambaUnavailable(): Promise<string | undefined> {
  // Samba listens on the fixed ports 389/636, so parallel test runs (several checkouts, helper
  // sessions) let only one of them start a DC; the others opt out.
  if (process.env.ADSYNC_TEST_SKIP_AD) return 'ADSYNC_TEST_SKIP_AD is set';
  if (process.getuid?.() !== 0) return 'the Samba AD DC needs root';
  if (!existsSync('/usr/sbin/samba') || spawnSync('samba-tool', ['--version']).error) {
    return 'samba is not installed (Debian: apt-get install samba samba-ad-dc samba-ad-provision)';
  }
  if (spawnSync('ldapadd', ['-VV']).error) return 'ldapadd (ldap-utils) is not installed';
  if (await listening(636)) return 'port 636 on 127.0.0.1 is already in use (another directory server?)';
  return undefined;
}

/** A running throw-away Samba AD domain controller on 127.0.0.1. */
export interface SambaDc {
  /** ldap:// (simple binds are refused here: AD wants TLS). */
  ldapUrl: string;
  /** ldaps:// with a certificate from {@link SambaDc.caFile}. */
  ldapsUrl: string;
  /** The CA of the LDAPS certificate. */
  caFile: string;
  /** An unrelated CA. */
  otherCaFile: string;
  /** The domain's sam.ldb, for samba-tool. */
  samLdb: string;
  /**
   * A krb5.conf for clients of the domain's own KDC (127.0.0.1:88, no DNS): give it as
   * KRB5_CONFIG.
   */
  krb5Conf: string;
  /** A keytab of svc-adsync (samba-tool domain exportkeytab), for GSSAPI binds. */
  keytab: string;
  /** The DC's DNS host name (root DSE dnsHostName): its LDAP SPN is ldap/<this>. */
  dnsHostName: string;
  /** Stop samba and remove the domain. */
  stop(): Promise<void>;
}

/**
 * Provision a domain into a temporary directory, start samba (LDAP only, single process, on
 * loopback), and load the test company from {@link adLdif}. About 20–30 s, most of it the 2,500
 * bulk users.
 */
export async function startSamba(): Promise<SambaDc> {
  const dir = await mkdtemp(join(tmpdir(), 'adsync-samba-'));
  const ca = await makeCa(dir, 'ad-ca');
  const other = await makeCa(dir, 'ad-other-ca');
  const server = await makeServerCert(dir, ca);
  await run('samba-tool', [
    'domain',
    'provision',
    `--targetdir=${dir}`,
    `--realm=${AD.realm.toUpperCase()}`,
    '--domain=CORP',
    '--server-role=dc',
    '--dns-backend=NONE',
    `--adminpass=${AD.adminPassword}`,
    '--option=interfaces=lo',
    '--option=bind interfaces only=yes',
    `--option=pid directory=${join(dir, 'run')}`,
  ]);
  const conf = join(dir, 'etc', 'smb.conf');
  const text = await readFile(conf, 'utf8');
  await writeFile(
    conf,
    text.replace(
      /^\s*server services = .*$/m,
      [
        // The KDC serves the GSSAPI tests (port 88 on loopback). GSSAPI over TLS without a SASL
        // security layer needs allow_sasl_over_tls (Samba 4.17's default, yes, wants signing
        // even inside TLS, which Windows DCs do not); simple binds still need TLS.
        '\tserver services = ldap, kdc',
        '\tldap server require strong auth = allow_sasl_over_tls',
        `\tlog file = ${join(dir, 'log.%m')}`,
        '\ttls enabled = yes',
        `\ttls keyfile = ${server.key}`,
        `\ttls certfile = ${server.cert}`,
        `\ttls cafile = ${ca.cert}`,
      ].join('\n'),
    ),
  );
  if (!/server services = ldap/.test(await readFile(conf, 'utf8'))) {
    throw new Error(`could not configure ${conf}`);
  }
  const proc = startServerProcess('samba', ['-i', '-M', 'single', '-s', conf], dir, 5000);
  const { child, stop } = proc;
  const samLdb = join(dir, 'private', 'sam.ldb');
  let kerberos: { krb5Conf: string; keytab: string; dnsHostName: string } | undefined;
  try {
    await waitForPort(636, child, proc.output);
    const env = { ...process.env, LDAPTLS_CACERT: ca.cert };
    const admin = [
      '-x',
      '-H',
      'ldaps://127.0.0.1:636',
      '-D',
      `Administrator@${AD.realm}`,
      '-w',
      AD.adminPassword,
    ];
    // samba listens before its directory is ready: retry a trivial search for a few seconds.
    for (let i = 0; ; i++) {
      try {
        await run('ldapsearch', [...admin, '-b', AD.baseDN, '-s', 'base', 'dn'], { env });
        break;
      } catch (error) {
        if (i > 50) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const ldif = join(dir, 'company.ldif');
    await writeFile(ldif, adLdif());
    await run('ldapadd', [...admin, '-f', ldif], { env, maxBuffer: 64 * 1024 * 1024 });
    // Lock svc-locked the way it happens in real life: too many bad passwords.
    await run('samba-tool', [
      'domain',
      'passwordsettings',
      'set',
      '--account-lockout-threshold=5',
      '-H',
      samLdb,
    ]);
    for (let i = 0; i < 6; i++) {
      await run(
        'ldapsearch',
        [
          '-x',
          '-H',
          'ldaps://127.0.0.1:636',
          '-D',
          AD.locked.upn,
          '-w',
          'not-the-password',
          '-b',
          '',
          '-s',
          'base',
        ],
        { env },
      ).catch(() => undefined);
    }
    kerberos = await kerberosSetup(dir, conf, admin, env);
  } catch (error) {
    await stop();
    throw new Error(`starting Samba AD failed: ${String(error)}\n${proc.output().slice(-2000)}`, {
      cause: error,
    });
  }
  return {
    ldapUrl: 'ldap://127.0.0.1:389',
    ldapsUrl: 'ldaps://127.0.0.1:636',
    caFile: ca.cert,
    otherCaFile: other.cert,
    samLdb,
    ...kerberos,
    stop,
  };
}

/**
 * The domain's Kerberos for clients: a krb5.conf naming its KDC on loopback (no DNS, no
 * canonicalisation: the SPN is what the test asks for), svc-adsync's keys in a keytab, and the
 * DC's host name, whose ldap/ SPN the DC account holds.
 */
async function kerberosSetup(
  dir: string,
  conf: string,
  admin: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ krb5Conf: string; keytab: string; dnsHostName: string }> {
  const realm = AD.realm.toUpperCase();
  const krb5Conf = join(dir, 'client-krb5.conf');
  await writeFile(
    krb5Conf,
    [
      '[libdefaults]',
      `  default_realm = ${realm}`,
      '  dns_lookup_kdc = false',
      '  dns_lookup_realm = false',
      '  dns_canonicalize_hostname = false',
      '  rdns = false',
      '  udp_preference_limit = 1',
      `  default_ccache_name = FILE:${join(dir, 'client-ccache')}`,
      '[realms]',
      `  ${realm} = {`,
      '    kdc = 127.0.0.1:88',
      '  }',
      '',
    ].join('\n'),
  );
  const keytab = join(dir, 'svc-adsync.keytab');
  await run('samba-tool', [
    'domain',
    'exportkeytab',
    keytab,
    `--principal=${AD.svc.upn.split('@')[0]}@${realm}`,
    '-s',
    conf,
  ]);
  const { stdout } = await run('ldapsearch', [...admin, '-LLL', '-b', '', '-s', 'base', 'dnsHostName'], {
    env,
  });
  const dnsHostName = /^dnsHostName: (.+)$/m.exec(stdout)?.[1]?.trim();
  if (!dnsHostName) throw new Error(`the root DSE has no dnsHostName:\n${stdout}`);
  // A provisioned Samba DC holds only HOST/ SPNs, and its KDC maps no ldap/ ones to them; a
  // Windows DC registers ldap/<its DNS name>. Give the DC account that SPN, as Windows has it.
  const account = `${dnsHostName.split('.')[0]?.toUpperCase() ?? ''}$`;
  await run('samba-tool', ['spn', 'add', `ldap/${dnsHostName}`, account, '-s', conf]);
  return { krb5Conf, keytab, dnsHostName };
}
