import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';

const skip = inject('slapdSkip');
const SECRET = 'extras-client-secret-0123456789';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const HEADER =
  'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack';
const CARL = 'Carl,Contractor,carl@contractor.example,,"Electrician, Level 2",Facilities,,,hq,,';
const RITA = 'Rita,Reception,,+14165550142,Front Desk,,,,warehouse,,';
const DORA = 'Dora,Temp,dora@contractor.example,,,,,,hq,,';
// A row breaking a rule (PIN) and one repeating a directory person's email (wendy@example.com).
const BAD_PIN = 'Bad,Pin,bad-pin@contractor.example,,,,,12,hq,,';
const TWIN = 'Wendy,Twin,WENDY@example.com,,,,,,warehouse,,';

interface ExplainLocation {
  slug: string;
  why: string[];
  row: { column: string; value: string }[];
  verdict: string;
  action: string;
  duplicateOf?: { column: string; value: string; dn: string }[];
  lastPushed: { column: string; value: string }[] | null;
}
interface ExplainReport {
  people: { dn: string; source?: string; locations: ExplainLocation[] }[];
  inLastPush: { location: string; source?: string }[];
}

const sh = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });

describe.skipIf(skip !== '')(
  `extraContacts: contacts the directory does not hold (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);

    const config = (extraContacts: unknown = './contractors.csv'): Record<string, unknown> => ({
      ...pushConfig({ ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile }),
      columns: { Identification: 'employeeNumber' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
      extraContacts,
    });
    const active = (): string[] =>
      servers.mock
        .contacts()
        .filter(
          (c) => c.status === 'active' && ['Carl', 'Rita', 'Dora'].includes(c.fields['First Name'] ?? ''),
        )
        .map((c) => `${c.fields['First Name'] ?? ''}@${c.location}`)
        .sort();
    const statusOf = (first: string): string | undefined =>
      servers.mock.contacts().find((c) => c.fields['First Name'] === first)?.status;

    it('two contractors reach the vendor, stay on the next push, and removing one is an archive the guards check', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      // A blank line, so the line numbers are the file's, not the records'.
      await writeFile(
        join(cwd, 'contractors.csv'),
        `\ufeff${HEADER}\r\n${CARL}\r\n\r\n${RITA}\r\n${BAD_PIN}\r\n${TWIN}\r\n`,
      );

      const first = await sh(['push', '--first-push'], cwd);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/hq\s+\d+ rows\s+\d+ rejected\s+\(1 from extraContacts files\)/);
      expect(first.stderr).toMatch(/warehouse\s+\d+ rows\s+1 rejected\s+\(1 from extraContacts files\)/);
      // A repeat of a directory row's email, held by neither in a last push: neither keeps it.
      // Wendy Ware has a mobile, so her row goes without the email; the twin has no other key.
      expect(first.stderr).toContain(
        'uid=wendy,ou=warehouse,ou=people,dc=example,dc=com: Wendy Ware: Email "wendy@example.com" is also on the row of Wendy Twin <WENDY@example.com> (contractors.csv line 6), and nobody held it in the last push',
      );
      expect(first.stderr).toContain(
        'contractors.csv line 6 [warehouse]: duplicate Email "wendy@example.com" is also on the row of Wendy Ware <wendy@example.com> (uid=wendy,ou=warehouse,ou=people,dc=example,dc=com)',
      );
      expect(first.stderr).toContain('contractors.csv line 5 [hq]: PIN "12" must be 4 to 6 digits');
      expect(active()).toEqual(['Carl@hq', 'Rita@warehouse']);
      expect(servers.mock.contacts().filter((c) => c.fields['Last Name'] === 'Twin')).toEqual([]);
      // The field with a comma arrived whole.
      expect(
        servers.mock.contacts().find((c) => c.fields['First Name'] === 'Carl')?.fields['Business Title'],
      ).toBe('Electrician, Level 2');
      const csvPath = first.stdout.trim().split('\n').at(-1) ?? '';
      const rejects = parse<Record<string, string>>(
        await readFile(csvPath.replace(/\.csv$/, '.rejects.csv'), 'utf8'),
        { columns: true, bom: true },
      );
      expect(rejects.find((r) => r['Last Name'] === 'Pin')?.['Source DN']).toBe('contractors.csv line 5');

      const again = await sh(['push', '--json'], cwd);
      expect(again.code, again.stderr).toBe(0);
      const report = JSON.parse(again.stdout) as {
        plan: { create: number; update: number; archive: number; unchanged: number };
        extraContactsByLocation: Record<string, number>;
      };
      expect(report.plan).toMatchObject({ create: 0, update: 0, archive: 0 });
      expect(report.extraContactsByLocation).toEqual({ hq: 1, warehouse: 1 });
      expect(active()).toEqual(['Carl@hq', 'Rita@warehouse']);

      // Carl leaves the file, Dora joins: one archive in hq (1 of 8 is over the 10% limit, which,
      // with safety.archiveFloor at 0, counts every archive).
      await writeConfig(cwd, { ...config(), safety: { archiveFloor: 0 } });
      await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${DORA}\n${RITA}\n`);
      const uploads = servers.mock.uploads().length;
      const stopped = await sh(['push'], cwd);
      expect(stopped.code, stopped.stderr).toBe(3);
      expect(stopped.stderr).toMatch(/would archive 1 of \d+ contacts \(\d+%\) in location hq/);
      // The twin left the file too: Wendy Ware's email, held by nobody now, is hers again.
      expect(stopped.stderr).toContain('Plan: 1 to create, 1 to update, 1 to archive');
      expect(stopped.stderr).toContain(
        'update: Wendy Ware <wendy@example.com> [warehouse]: Email "" → "wendy@example.com"',
      );
      expect(stopped.stderr).toContain(
        'create: Dora Temp <dora@contractor.example> [hq] (from contractors.csv line 2)',
      );
      expect(stopped.stderr).toContain('archive: Carl Contractor <carl@contractor.example> [hq]');
      expect(servers.mock.uploads().length).toBe(uploads);
      expect(statusOf('Carl')).toBe('active');

      const approved = await sh(['push', '--allow-archive', '1'], cwd);
      expect(approved.code, approved.stderr).toBe(0);
      expect(statusOf('Carl')).toBe('archived');
      expect(active()).toEqual(['Dora@hq', 'Rita@warehouse']);
    });

    it('explain shows a contractor with its file line, a row sharing its only key as a duplicate, and a removed one as gone since the last push', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${CARL}\n${TWIN}\n`);
      const explain = async (query: string): Promise<ExplainReport> => {
        const run = await sh(['explain', query, '--json'], cwd);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as ExplainReport;
      };
      const at = (report: ExplainReport, slug: string): ExplainLocation | undefined =>
        report.people[0]?.locations.find((l) => l.slug === slug);

      const carl = await explain('carl@contractor.example');
      expect(carl.people.map((p) => p.source)).toEqual(['contractors.csv line 2']);
      expect(at(carl, 'hq')).toMatchObject({
        verdict: 'valid',
        action: 'create',
        why: ['listed in contractors.csv line 2 (extraContacts), not read from the directory'],
        lastPushed: null,
      });
      expect(at(carl, 'hq')?.row).toContainEqual({ column: 'Business Title', value: 'Electrician, Level 2' });
      expect(at(carl, 'warehouse')).toMatchObject({
        verdict: 'not-matched',
        action: 'none',
        why: ['contractors.csv line 2 names location "hq", not this one'],
      });

      // Wendy Twin repeats a directory person's email, its only key: explain says whose.
      const twin = await explain('Twin');
      expect(twin.people.map((p) => p.source)).toEqual(['contractors.csv line 3']);
      expect(at(twin, 'warehouse')).toMatchObject({ verdict: 'duplicate', action: 'none' });
      expect(at(twin, 'warehouse')?.duplicateOf).toContainEqual({
        column: 'Email',
        value: 'wendy@example.com',
        dn: 'uid=wendy,ou=warehouse,ou=people,dc=example,dc=com',
      });

      const pushed = await sh(['push', '--first-push'], cwd);
      expect(pushed.code, pushed.stderr).toBe(0);
      const after = await explain('carl@contractor.example');
      expect(at(after, 'hq')).toMatchObject({ verdict: 'valid', action: 'unchanged' });
      expect(at(after, 'hq')?.lastPushed).toContainEqual({
        column: 'Email',
        value: 'carl@contractor.example',
      });

      // Carl leaves the file: nobody is found, but the last push held him, from that file line.
      await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${TWIN}\n`);
      const gone = await explain('carl@contractor.example');
      expect(gone.people).toEqual([]);
      expect(gone.inLastPush).toMatchObject([{ location: 'hq', source: 'contractors.csv line 2' }]);
      const text = await sh(['explain', 'carl@contractor.example'], cwd);
      expect(text.stdout + text.stderr).toContain('removed from its extraContacts file since?');
      const dry = await sh(['push', '--dry-run', '--allow-archive', '1'], cwd);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toContain(
        'archive: Carl Contractor <carl@contractor.example> [hq] (from contractors.csv line 2)',
      );
    });

    it("phone numbers in a file are read as the directory's are: one in national form is Ada's SMS Phone, one that is no number is left empty", async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      const ada = 'Con,Tractor,,(416) 555-0101,,,,,hq,,';
      const vague = 'Val,Vague,val@contractor.example,call me maybe,,,,,hq,,';
      const only = 'Oona,Only,,not a number,,,,,hq,,';
      await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${ada}\n${vague}\n${only}\n`);
      const run = await sh(['push', '--dry-run'], cwd);
      expect(run.code, run.stderr).toBe(0);
      // Read as Ada's number, it is shared: Ada keeps her row by her email, Con has no other key.
      expect(run.stderr).toContain(
        'contractors.csv line 2 [hq]: duplicate SMS Phone "+14165550101" is also on the row of Ada Lovelace <ada@example.com> (uid=ada,ou=hq,ou=people,dc=example,dc=com)',
      );
      expect(run.stderr).toContain(
        'contractors.csv line 3: SMS Phone "call me maybe" is not a phone number; left empty',
      );
      const csvPath = run.stdout.trim().split('\n').at(-1) ?? '';
      const rows = parse<Record<string, string>>(await readFile(csvPath, 'utf8'), {
        columns: true,
        bom: true,
      });
      expect(rows.filter((r) => r['Last Name'] === 'Tractor')).toEqual([]);
      expect(rows.find((r) => r['Last Name'] === 'Vague')?.['SMS Phone']).toBe('');
      const rejects = parse<Record<string, string>>(
        await readFile(csvPath.replace(/\.csv$/, '.rejects.csv'), 'utf8'),
        { columns: true, bom: true },
      );
      expect(rejects.find((r) => r['Last Name'] === 'Only')?.['Source DN']).toBe('contractors.csv line 4');
    });

    it('check shows per location how many rows come from extraContacts files', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config(['./contractors.csv', './desk.csv']));
      await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${CARL}\n${DORA}\n`);
      await writeFile(join(cwd, 'desk.csv'), `${HEADER}\n${RITA}\n`);
      const run = await sh(['check', '--json'], cwd);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/hq: \d+ rows \(2 from extraContacts files\)/);
      expect(run.stderr).toMatch(/warehouse: \d+ rows \(1 from extraContacts files\)/);
      const report = JSON.parse(run.stdout) as { locations: { slug: string; extraContacts: number }[] };
      expect(report.locations.map((l) => [l.slug, l.extraContacts])).toEqual([
        ['hq', 2],
        ['warehouse', 1],
      ]);
    });

    it('a row naming an unknown location is said on its own by check and push, and no location counts it as its reject', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      type Checked = {
        locations: { slug: string; rejected: number }[];
        warnings: { dn?: string; message: string }[];
      };
      const checked = async (row: string): Promise<Checked> => {
        await writeFile(join(cwd, 'contractors.csv'), `${HEADER}\n${row}\n`);
        const run = await sh(['check', '--json'], cwd);
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout) as Checked;
      };
      const clean = await checked(CARL);
      const typo = await checked(CARL.replace(',hq,', ',hqq,'));
      expect(typo.warnings).toContainEqual({
        dn: 'contractors.csv line 2',
        message:
          'rejected, in no location: Location Slug "hqq" is not a configured location (did you mean "hq"?); write one of: hq, warehouse',
      });
      const rejectedOf = (c: Checked): [string, number][] => c.locations.map((l) => [l.slug, l.rejected]);
      expect(rejectedOf(typo)).toEqual(rejectedOf(clean));
      const dry = await sh(['push', '--dry-run', '--json'], cwd);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stderr).toMatch(
        /\(none\)\s+0 rows\s+1 rejected\s+\(extraContacts rows naming no configured location\)/,
      );
      const report = JSON.parse(dry.stdout) as {
        rejected: number;
        rejectedByLocation: Record<string, number>;
        rejectedWithoutLocation?: number;
      };
      expect(report.rejectedWithoutLocation).toBe(1);
      expect(report.rejected).toBe(Object.values(report.rejectedByLocation).reduce((a, b) => a + b, 1));
    });

    it('a missing file or a wrong header is exit 2 with what to fix, and nothing is read or sent', async () => {
      const cwd = await tempDir();
      const uploads = servers.mock.uploads().length;
      await writeConfig(cwd, config('./missing.csv'));
      for (const args of [['push'], ['push', '--dry-run'], ['check']]) {
        const run = await sh(args, cwd);
        expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toContain(`extraContacts file ${join(cwd, 'missing.csv')} does not exist`);
        expect(run.stderr).toContain('relative paths are relative to the config file');
      }
      await writeConfig(cwd, config('./contractors.csv'));
      const header = HEADER.replace('Slack', 'Slak').replace('Identification,', '');
      await writeFile(join(cwd, 'contractors.csv'), `${header}\n${CARL}\n`);
      const wrong = await sh(['push'], cwd);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain(
        `its header does not match the upload's columns: missing "Identification", "Slack"; unknown "Slak" (did you mean "Slack"?)`,
      );
      expect(wrong.stderr).toContain(`write the header line as: ${HEADER}`);
      expect(servers.mock.uploads().length).toBe(uploads);
    });
  },
);
