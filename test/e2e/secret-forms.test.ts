import { spawn } from 'node:child_process';
import { chmod, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN, runAdsync, type CliRun } from '../harness/cli.js';
import { exampleConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { asRoot, startExampleSlapd, type Slapd } from '../harness/slapd.js';
import { startHostileLdap, person, type HostileLdap } from '../harness/hostile-ldap.js';
import {
  hostileProject,
  issueToken,
  startHostileVendor,
  type HostileHandler,
  type HostileVendor,
} from '../harness/hostile-vendor.js';
import { filesUnder, findLeaks, leakForms, type LeakSecret } from '../harness/leaks.js';
import { sincePushArgs } from '../harness/runs.js';

/** A secret JSON escapes (`\"`, `\\`): redacting serialised text missed it. */
const QUOTED = 'Pa"ss\\word9';
/** A numeric secret, equal to a number the vendor's answer (and so the report) holds. */
const NUMERIC = '7531';
/** A secret too short to look for everywhere. */
const SHORT = 'xy';

/** Everything a run showed and wrote: stdout, stderr and every file under the project. */
async function outputs(run: CliRun, cwd: string): Promise<[string, string][]> {
  return [['stdout', run.stdout], ['stderr', run.stderr], ...(await filesUnder([cwd]))];
}

/** A vendor that issues tokens and answers every upload with this status and JSON body. */
function answers(status: number, body: unknown): HostileHandler {
  return (req, _body, res) => {
    if (req.url === '/oauth/token') {
      issueToken(res);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

/** Every form of a secret in one message, as a server that echoes too much would write it. */
const echo = (secret: string): string =>
  leakForms({ value: secret })
    .map((f) => `${f.name}=[${f.text}]`)
    .join(' ');

describe('secrets in every form never reach output or files (hostile vendor and LDAP server, slapd, real files)', () => {
  let vendor: HostileVendor;

  beforeAll(async () => {
    vendor = await startHostileVendor(answers(200, { errors: [] }));
  });
  afterAll(async () => {
    await vendor.stop();
  });

  const push = (cwd: string, secret: string, args: string[]): Promise<CliRun> =>
    runAdsync(['push', ...args], { cwd, env: { ADSYNC_CLIENT_SECRET: secret } });

  it('a secret holding " and \\ echoed by the vendor is hidden in --json, --report, runs.jsonl, the log and the terminal', async () => {
    vendor.handle = answers(422, { message: `rejected: ${echo(QUOTED)}`, client_secret: QUOTED });
    const cwd = await hostileProject(vendor);
    const run = await push(cwd, QUOTED, ['--first-push', '--json', '--report', 'report.json', '--verbose']);
    expect(run.code).toBe(1);
    // The vendor's words did reach the outputs (so the test means something)…
    expect(run.stderr).toContain('rejected: literal=[***]');
    const history = await readFile(join(cwd, 'state', 'runs.jsonl'), 'utf8');
    expect(history).toContain('rejected: literal=[***]');
    expect(JSON.parse(await readFile(join(cwd, 'report.json'), 'utf8'))).toMatchObject({ exitCode: 1 });
    // …without the secret, in any form.
    expect(findLeaks([{ value: QUOTED, clientId: 'adsync' }], await outputs(run, cwd))).toEqual([]);
  });

  it('a numeric secret equal to a number in the report: the run succeeds, its JSON stays whole, its lock is released', async () => {
    vendor.handle = answers(200, {
      errors: [],
      batch: Number(NUMERIC),
      note: `batch ${NUMERIC} ${echo(NUMERIC)}`,
    });
    const cwd = await hostileProject(vendor);
    const run = await push(cwd, NUMERIC, ['--first-push', '--json', '--report', 'report.json']);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    // Numbers are facts of the run, not secret positions: the count stays a number.
    const report = JSON.parse(run.stdout) as { upload: { summary: { batch: number; note: string } } };
    expect(report.upload.summary.batch).toBe(Number(NUMERIC));
    expect(report.upload.summary.note).toContain('batch ***');
    const lines = (await readFile(join(cwd, 'state', 'runs.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({ outcome: 'uploaded', exitCode: 0 });
    expect((await readdir(join(cwd, 'state'))).filter((n) => n.endsWith('.lock'))).toEqual([]);
    expect(findLeaks([{ value: NUMERIC, clientId: 'adsync' }], await outputs(run, cwd))).toEqual([]);
    // The next run is not locked out.
    expect((await push(cwd, NUMERIC, [])).code).toBe(0);
  });

  it('a two-character client secret echoed by the token endpoint is hidden (form body, HTTP Basic, JSON)', async () => {
    vendor.handle = (req, body, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'invalid_client',
          // The request as the endpoint saw it: form body, Authorization header, the secret alone.
          error_description: `bad request ${body}; Authorization: ${req.headers.authorization ?? ''}; secret ${SHORT} unknown; {"client_secret":"${SHORT}"}`,
          echo: { headers: req.headers, body },
        }),
      );
    };
    for (const auth of ['client_secret_post', 'client_secret_basic']) {
      const cwd = await hostileProject(vendor, { auth });
      const seen = vendor.seen.length;
      const run = await push(cwd, SHORT, ['--first-push', '--json', '--report', 'report.json', '--verbose']);
      expect(run.code).toBe(1);
      // The echo was shown (redacted), so it was looked at.
      expect(run.stderr).toContain('secret *** unknown; {"client_secret":"***"}');
      const request = JSON.stringify(vendor.seen.slice(seen));
      expect(leakForms({ value: SHORT, clientId: 'adsync' }).some((f) => request.includes(f.text))).toBe(
        true,
      );
      expect(findLeaks([{ value: SHORT, clientId: 'adsync' }], await outputs(run, cwd))).toEqual([]);
    }
  });

  describe('a bind password echoed by the LDAP server', () => {
    let ldap: HostileLdap;
    beforeAll(async () => {
      // Refuses every bind, echoing the password as it is and in hex (as a packet dump shows it).
      ldap = await startHostileLdap(
        () => ({ entries: [person(1, 'ou=hq,ou=people,dc=example,dc=com')] }),
        (_dn, password) => ({
          resultCode: 49,
          message: `invalid credentials: password=${password}; ${echo(password)}`,
        }),
      );
    });
    afterAll(async () => {
      await ldap.close();
    });

    it('in any form, hex too, even two characters long, is hidden on the terminal with --verbose and in the debug log', async () => {
      for (const password of [SHORT, QUOTED, 'Hex-echo-pass-42']) {
        const cwd = await hostileProject(
          vendor,
          {},
          {
            kind: 'ldap',
            file: undefined,
            url: ldap.url,
            bindDN: 'cn=svc,dc=example,dc=com',
            bindPassword: '${env:BIND}',
          },
          { logging: { file: './adsync.log', level: 'debug' } },
        );
        const run = await runAdsync(['push', '--dry-run', '--verbose', '--json'], {
          cwd,
          env: { BIND: password, ADSYNC_CLIENT_SECRET: 'unused-client-secret' },
        });
        expect(run.code).toBe(1);
        // The server's echo was shown with --verbose (redacted), so it was looked at.
        expect(run.stderr).toContain('password=***');
        const log = await readFile(join(cwd, 'adsync.log'), 'utf8');
        expect(log).toContain('password=***');
        expect(findLeaks([{ value: password }], await outputs(run, cwd))).toEqual([]);
      }
    });
  });

  it('check warns about a secret too short to hide and a ${file:} secret every user may read, never showing either', async () => {
    const cwd = await hostileProject(vendor, { clientSecret: '${file:./client-secret.txt}' }, {});
    await writeFile(join(cwd, 'client-secret.txt'), `${SHORT}\n`);
    await chmod(join(cwd, 'client-secret.txt'), 0o644);
    const run = await runAdsync(['check'], { cwd });
    expect(run.stderr).toContain(
      'warning: the client secret (target.clientSecret) is shorter than 3 characters: too short to be hidden',
    );
    const file = join(cwd, 'client-secret.txt');
    expect(run.stderr).toContain(
      `warning: the secret file ${file} (a \${file:} or \${credential:} secret of the config) can be read by every user of this machine: chmod 600 ${file}`,
    );
    const shown = (await outputs(run, cwd)).filter(([name]) => name !== file);
    expect(findLeaks([{ value: SHORT, clientId: 'adsync' }], shown)).toEqual([]);
    await chmod(file, 0o600);
    expect((await runAdsync(['check'], { cwd })).stderr).not.toContain('can be read by every user');
  });

  describe('a bind password that is also a surname in slapd', () => {
    let slapd: Slapd;
    const SUFFIX = 'dc=example,dc=com';
    beforeAll(async () => {
      slapd = await startExampleSlapd();
    });
    afterAll(async () => {
      await slapd.stop();
    });

    /** Change the directory as its administrator would (an LDIF of modify records). */
    const modify = async (cwd: string, ldif: string): Promise<void> => {
      const file = join(cwd, 'change.ldif');
      await writeFile(file, ldif);
      await asRoot(slapd, 'ldapmodify', SUFFIX, ['-f', file]);
    };

    it('explain, the plan and diff show the surname (text and --json); check warns without showing it', async () => {
      const password = 'Lovelace';
      const cwd = await hostileProject(
        vendor,
        {},
        {
          kind: 'ldap',
          file: undefined,
          url: slapd.url,
          bindDN: `cn=adsync,ou=services,${SUFFIX}`,
          bindPassword: '${env:BIND}',
        },
      );
      await modify(
        cwd,
        `dn: cn=adsync,ou=services,${SUFFIX}\nchangetype: modify\nreplace: userPassword\nuserPassword: ${password}\n`,
      );
      vendor.handle = answers(200, { errors: [] });
      const env = { BIND: password, ADSYNC_CLIENT_SECRET: 'surname-test-client-secret' };
      const adsync = (args: string[]): Promise<CliRun> => runAdsync(args, { cwd, env });
      expect((await adsync(['push', '--first-push'])).code).toBe(0);
      await modify(
        cwd,
        `dn: uid=ada,ou=hq,ou=people,${SUFFIX}\nchangetype: modify\nreplace: title\ntitle: Chief Engine\n`,
      );
      const plan = await adsync(['push', '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.stderr).toContain(
        'update: Ada Lovelace <ada@example.com> [hq]: Business Title "Chief Analyst" → "Chief Engine"',
      );
      const explain = await adsync(['explain', 'ada@example.com']);
      expect(explain.stdout).toContain('Ada Lovelace');
      expect(explain.stdout).not.toContain('***');
      const explainJson = await adsync(['explain', 'ada@example.com', '--json']);
      expect(JSON.stringify((JSON.parse(explainJson.stdout) as { people: unknown }).people)).toContain(
        'Lovelace',
      );
      const diff = await adsync(['diff', ...(await sincePushArgs(adsync))]);
      expect(diff.code).toBe(0);
      expect(diff.stdout).toContain('~ Ada Lovelace');
      expect(diff.stdout).not.toContain('***');
      const diffJson = await adsync(['diff', '--json', ...(await sincePushArgs(adsync))]);
      expect(JSON.stringify((JSON.parse(diffJson.stdout) as { changed: unknown }).changed)).toContain(
        'Lovelace',
      );
      const log = await readFile(join(cwd, 'adsync.log'), 'utf8');
      expect(log).toContain('update: Ada Lovelace');
      const check = await adsync(['check']);
      expect(check.stderr).toContain(
        'warning: the bind password (directory.bindPassword) appears as a value in the directory (in 2 rows): choose a secret that is not directory data',
      );
      // The warning never shows the value, nor who holds it: its preview shows directory data.
      const warning = check.stderr.split('\n').filter((l) => l.includes('appears as a value'));
      expect(warning).toHaveLength(1);
      expect(warning[0]).not.toContain(password);
      // A password that is not directory data: no warning.
      await modify(
        cwd,
        `dn: cn=adsync,ou=services,${SUFFIX}\nchangetype: modify\nreplace: userPassword\nuserPassword: not-a-name-8814\n`,
      );
      const other = await runAdsync(['check'], { cwd, env: { ...env, BIND: 'not-a-name-8814' } });
      expect(other.stderr).not.toContain('appears as a value in the directory');
    }, 120_000);
  });

  it('a wrong bind password against slapd, with --verbose and a log file: the reason, no JavaScript stack', async () => {
    const cwd = await tempDir();
    await writeConfig(cwd, { ...exampleConfig(), state: { dir: './state' } });
    const run = await runAdsync(['push', '--dry-run', '--verbose', '--log-file', 'adsync.log'], {
      cwd,
      env: { TEST_BIND_PASSWORD: 'not-the-password' },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('bind failed for cn=adsync,ou=services,dc=example,dc=com');
    expect(run.stderr).toContain('cause: ');
    const log = await readFile(join(cwd, 'adsync.log'), 'utf8');
    for (const text of [run.stderr, log]) {
      expect(text).not.toMatch(/^\s+at /m);
      expect(text).not.toMatch(/\\n\s+at /);
    }
  });

  it("`adsync check | head -1` (stdout or stderr) ends with the command's own exit code, without an error", async () => {
    const cwd = await hostileProject(vendor);
    const piped = (
      args: string,
      env: NodeJS.ProcessEnv = {},
    ): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve, reject) => {
        // A real pipe to `head -1`, which exits after the first line and closes it.
        const child = spawn(
          'bash',
          ['-c', `"$0" "$1" ${args} | head -1; exit "\${PIPESTATUS[0]}"`, process.execPath, BIN],
          {
            cwd,
            env: { PATH: process.env.PATH, HOME: cwd, ADSYNC_CLIENT_SECRET: 'pipe-secret-123', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => {
          resolve({ code, out });
        });
      });
    const human = await piped('check 2>&1');
    expect(human).toEqual({ code: 0, out: expect.stringMatching(/^✔ config .* is valid\n$/) as unknown });
    const json = await piped('check --json 2>/dev/null');
    expect(json).toEqual({ code: 0, out: '{\n' });
    // A failed command still says so by its exit code.
    await writeFile(join(cwd, 'adsync.yaml'), 'directory: [');
    const failed = await piped('check 2>&1');
    expect(failed.code).toBe(2);
    expect(failed.out).toMatch(/^error: /);
  });
});

/** Kept for the leak helper's own sanity: a JSON-escaped secret is still found. */
describe('the leak helper', () => {
  it('finds a secret inside JSON escaping, a short one only as a word, a number only in strings', () => {
    const secrets: LeakSecret[] = [{ value: QUOTED }, { value: SHORT }, { value: NUMERIC }];
    expect(findLeaks(secrets, [['a', JSON.stringify({ m: `x ${QUOTED} y` })]])).toEqual([
      'secret #1 (literal) in a',
    ]);
    expect(findLeaks(secrets, [['b', '{"p":"proxy 7531x","n":7531}']])).toEqual([]);
    expect(findLeaks(secrets, [['c', '{"n":"7531"}']])).toEqual(['secret #3 (literal) in c']);
    expect(findLeaks(secrets, [['d', 'secret=xy;']])).toEqual(['secret #2 (literal) in d']);
  });
});
