import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import {
  answersUpload,
  cutsItsAnswerShort,
  hostileProject,
  startHostileVendor,
  startWebhookReceiver,
  type HostileVendor,
} from '../harness/hostile-vendor.js';

const SECRET = 'vendor-answer-secret-4Kp';
/** An answer that confirms an import and says nothing to compare: the baseline's first push. */
const HONEST = '{"errors":[]}';
const UPLOAD = '/contacts/import';

/** The parts of a `--json` report these tests read. */
interface Report {
  status: string;
  exitCode: number;
  plan?: { create: number; archive: number };
  upload?: { summary: Record<string, unknown> };
  warnings?: { message: string }[];
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

/** The parts of a runs.jsonl line these tests read. */
interface HistoryLine {
  outcome: string;
  exitCode: number;
  plan?: { archive: number; create: number };
  vendor?: Record<string, unknown>;
}

describe("the vendor's answer and the run's own record (hostile vendor and webhook on loopback)", () => {
  let vendor: HostileVendor;
  let hook: HostileVendor;

  beforeAll(async () => {
    vendor = await startHostileVendor(answersUpload(HONEST));
    hook = await startWebhookReceiver();
  });
  afterAll(async () => {
    await vendor.stop();
    await hook.stop();
  });

  const push = (cwd: string, args: string[] = []): Promise<CliRun> =>
    runAdsync(['push', '--json', ...args], { cwd, env: { ADSYNC_CLIENT_SECRET: SECRET } });
  const report = (run: CliRun): Report => JSON.parse(run.stdout) as Report;
  const uploads = (): number => vendor.seen.filter((s) => s.path === UPLOAD).length;
  const lastRun = async (cwd: string): Promise<HistoryLine> => {
    const lines = (await readFile(join(cwd, 'state', 'runs.jsonl'), 'utf8')).trim().split('\n');
    return JSON.parse(lines.at(-1) ?? '{}') as HistoryLine;
  };
  /** The last good push's state file, as text (the baseline). */
  const baseline = async (cwd: string): Promise<string> => {
    const name = (await readdir(join(cwd, 'state'))).find((n) => /^state-.*\.json$/.test(n));
    return name === undefined ? '' : readFile(join(cwd, 'state', name), 'utf8');
  };
  /** Failure notices the webhook received since `before`. */
  const notices = (before: number): { adsync: { outcome: string; code?: string } }[] =>
    hook.seen.slice(before).map((s) => JSON.parse(s.body) as { adsync: { outcome: string; code?: string } });

  /**
   * A project pushing example.ldif (10 rows) with failure notices to the webhook, after its first
   * real push (no baseline yet, so approved with `--first-push`) answered honestly.
   */
  const baselined = async (extra: Record<string, unknown> = {}): Promise<string> => {
    const cwd = await hostileProject(
      vendor,
      { retries: { attempts: 3, baseDelayMs: 10 } },
      {},
      {
        notify: { webhook: `${hook.url}/hook`, caFile: './hook.pem' },
        ...extra,
      },
    );
    await writeFile(join(cwd, 'hook.pem'), hook.certificate);
    vendor.handle = answersUpload(HONEST);
    const first = await push(cwd, ['--first-push']);
    expect(first.code, first.stderr).toBe(0);
    expect(await baseline(cwd)).not.toBe('');
    return cwd;
  };

  it('archived 910 for a plan of 0: exit 1 VENDOR_ARCHIVED_MORE after the plan, webhook, counts in report and history', async () => {
    const cwd = await baselined();
    const hooks = hook.seen.length;
    vendor.handle = answersUpload('{"created":0,"updated":0,"archived":910,"errors":[]}');
    const run = await push(cwd);
    expect(run.code, run.stderr).toBe(1);
    const r = report(run);
    expect(r.error).toMatchObject({
      code: 'VENDOR_ARCHIVED_MORE',
      details: { planArchive: 0, planCreate: 0, vendorArchived: 910, vendorCreated: 0, httpStatus: 200 },
    });
    expect(r.plan).toMatchObject({ archive: 0, create: 0 });
    expect(r.upload?.summary).toMatchObject({ archived: 910 });
    // The plan and the vendor's counts first, then the error.
    const said = 'the vendor says it archived or disabled 910 contacts; the plan archived 0';
    expect(run.stderr).toContain(said);
    expect(run.stderr.indexOf('Plan: ')).toBeGreaterThan(-1);
    expect(run.stderr.indexOf('Plan: ')).toBeLessThan(run.stderr.indexOf(said));
    expect(run.stderr.search(/archived\s+910/)).toBeGreaterThan(run.stderr.indexOf('Plan: '));
    expect(run.stderr.search(/archived\s+910/)).toBeLessThan(run.stderr.indexOf(said));
    expect(notices(hooks).map((n) => [n.adsync.outcome, n.adsync.code])).toEqual([
      ['failure', 'VENDOR_ARCHIVED_MORE'],
    ]);
    expect(await lastRun(cwd)).toMatchObject({
      outcome: 'error',
      exitCode: 1,
      plan: { archive: 0 },
      vendor: { created: 0, updated: 0, archived: 910 },
    });
    const history = await runAdsync(['history'], { cwd });
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('VENDOR SAID');
    // The run's row: the plan's counts, then the vendor's (it gave no unchanged), then its error.
    expect(history.stdout).toMatch(/-0 =10\s+\+0 ~0 -910 =\?\s+\S+\.csv\n\s+the vendor imported the upload/);
  });

  it('a duplicate "archived" key (0, then 5000) is no confirmation: UPLOAD_UNCONFIRMED, baseline unchanged, webhook', async () => {
    const cwd = await baselined();
    const before = await baseline(cwd);
    const hooks = hook.seen.length;
    const sent = uploads();
    vendor.handle = answersUpload('{"created":0,"updated":0,"archived":0,"archived":5000,"errors":[]}');
    const run = await push(cwd);
    expect(run.code, run.stderr).toBe(1);
    expect(report(run).error?.code).toBe('UPLOAD_UNCONFIRMED');
    expect(run.stderr).toContain('it names "archived" twice, with two values');
    expect(uploads() - sent).toBe(1);
    expect(await baseline(cwd)).toBe(before);
    expect(notices(hooks).map((n) => n.adsync.code)).toEqual(['UPLOAD_UNCONFIRMED']);
    expect(await lastRun(cwd)).toMatchObject({ outcome: 'error', exitCode: 1 });
  });

  it('negative, fractional or string counts are no confirmation: UPLOAD_UNCONFIRMED, baseline unchanged', async () => {
    const cwd = await baselined();
    const before = await baseline(cwd);
    const answers: [string, string][] = [
      ['{"created":-3,"updated":0,"errors":[]}', '"created" is -3'],
      ['{"created":0,"updated":2.5,"errors":[]}', '"updated" is 2.5'],
      ['{"created":0,"updated":0,"archived":"12","errors":[]}', '"archived" is "12"'],
    ];
    for (const [answer, why] of answers) {
      const sent = uploads();
      vendor.handle = answersUpload(answer);
      const run = await push(cwd);
      expect(run.code, run.stderr).toBe(1);
      expect(report(run).error?.code).toBe('UPLOAD_UNCONFIRMED');
      expect(run.stderr).toContain(`${why}, not a whole number of contacts`);
      expect(uploads() - sent).toBe(1);
      expect(await baseline(cwd)).toBe(before);
    }
  });

  it('created far fewer than planned: exit 1 VENDOR_CREATED_FEWER, webhook, both counts in the history', async () => {
    const header =
      'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack';
    const contractor = (i: number): string => `Con${i},Tractor,c${i}@contractors.example,,,,,,hq,,`;
    // One contractor at the first push, then ten more: the plan creates 10.
    const project = await hostileProject(
      vendor,
      { retries: { attempts: 1 } },
      {},
      {
        notify: { webhook: `${hook.url}/hook`, caFile: './hook.pem' },
        extraContacts: './contractors.csv',
      },
    );
    await writeFile(join(project, 'hook.pem'), hook.certificate);
    await writeFile(join(project, 'contractors.csv'), `${header}\n${contractor(0)}\n`);
    vendor.handle = answersUpload(HONEST);
    const first = await push(project, ['--first-push']);
    expect(first.code, first.stderr).toBe(0);
    await writeFile(
      join(project, 'contractors.csv'),
      `${[header, ...Array.from({ length: 11 }, (_, i) => contractor(i))].join('\n')}\n`,
    );
    const hooks = hook.seen.length;
    vendor.handle = answersUpload('{"created":1,"updated":0,"unchanged":12,"archived":0,"errors":[]}');
    const run = await push(project);
    expect(run.code, run.stderr).toBe(1);
    expect(report(run).error).toMatchObject({
      code: 'VENDOR_CREATED_FEWER',
      details: { planCreate: 10, vendorCreated: 1, vendorUnchanged: 12 },
    });
    expect(run.stderr).toContain('the vendor says it created 1 contacts; the plan created 10');
    expect(notices(hooks).map((n) => n.adsync.code)).toEqual(['VENDOR_CREATED_FEWER']);
    expect(await lastRun(project)).toMatchObject({
      exitCode: 1,
      plan: { create: 10 },
      vendor: { created: 1, unchanged: 12 },
    });
  });

  it('a 200 whose body is shorter than its Content-Length is sent once, never again: the vendor may have imported it', async () => {
    const cwd = await baselined();
    const before = await baseline(cwd);
    const sent = uploads();
    vendor.handle = cutsItsAnswerShort();
    const run = await push(cwd);
    expect(run.code, run.stderr).toBe(1);
    expect(report(run).error?.code).toBe('UPLOAD_UNCONFIRMED');
    expect(run.stderr).toContain('answered 200, but its answer did not arrive whole');
    expect(run.stderr).toContain('the vendor may have imported the file');
    expect(run.stderr).not.toContain('Nothing may have been imported');
    expect(uploads() - sent).toBe(1);
    expect(await baseline(cwd)).toBe(before);
  });

  it('a first push (no baseline) expects the vendor to archive what it held: a warning, not a failure', async () => {
    const cwd = await hostileProject(vendor, { retries: { attempts: 1 } });
    vendor.handle = answersUpload('{"archived":910,"errors":[]}');
    const run = await push(cwd, ['--first-push']);
    expect(run.code, run.stderr).toBe(0);
    expect(report(run).warnings?.map((w) => w.message)).toContain(
      'the vendor says it archived or disabled 910 contacts; the plan expected 0',
    );
  });

  it('a history line that cannot be written is a warning in the output and the report, on success and failure', async () => {
    const cwd = await baselined();
    await rm(join(cwd, 'state', 'runs.jsonl'));
    await mkdir(join(cwd, 'state', 'runs.jsonl'));
    vendor.handle = answersUpload(HONEST);
    const ok = await push(cwd);
    expect(ok.code, ok.stderr).toBe(0);
    const problem = /this run is not in the run history: could not write .*runs\.jsonl: EISDIR/;
    expect(ok.stderr).toMatch(problem);
    expect(report(ok).warnings?.some((w) => problem.test(w.message))).toBe(true);

    vendor.handle = answersUpload('{"created":0,"archived":0,"archived":1}');
    const failed = await push(cwd);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(problem);
    expect(report(failed).warnings?.some((w) => problem.test(w.message))).toBe(true);
  });

  it('the history keeps an excerpt of a large answer (2 KB at most), not the answer', async () => {
    const cwd = await baselined();
    const errors = Array.from({ length: 3000 }, (_, i) => ({ message: `problem ${i} ${'x'.repeat(250)}` }));
    vendor.handle = answersUpload(JSON.stringify({ created: 0, updated: 0, archived: 0, errors }));
    const run = await push(cwd);
    expect(run.code, run.stderr).toBe(0);
    const lines = (await readFile(join(cwd, 'state', 'runs.jsonl'), 'utf8')).trim().split('\n');
    const line = lines.at(-1) ?? '';
    const vendorPart = JSON.stringify((JSON.parse(line) as HistoryLine).vendor);
    expect(vendorPart.length).toBeLessThan(2048);
    expect(line.length).toBeLessThan(4096);
    expect((JSON.parse(line) as HistoryLine).vendor).toMatchObject({
      created: 0,
      archived: 0,
      messages: expect.arrayContaining(['… (2995 more)']) as unknown,
    });
  });
});
