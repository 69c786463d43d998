import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { describe, expect, inject, it } from 'vitest';

import { runAdsync, type CliRun } from '../harness/cli.js';
import { pushConfig } from '../harness/example-config.js';
import { tempDir, writeConfig } from '../harness/files.js';
import { useExampleServers } from '../harness/servers.js';
import { asRoot } from '../harness/slapd.js';

const skip = inject('slapdSkip');
const SECRET = 'duplicate-keys-client-secret-0123';
const ENV = { TEST_BIND_PASSWORD: 'svc-password-123', ADSYNC_CLIENT_SECRET: SECRET };
const SUFFIX = 'dc=example,dc=com';
const HQ = `ou=hq,ou=people,${SUFFIX}`;
const ADA = `uid=ada,${HQ}`;
const OMAR = `uid=smsonly,${HQ}`;
const WENDY = `uid=wendy,ou=warehouse,ou=people,${SUFFIX}`;
const HEADER =
  'First Name,Last Name,Email,SMS Phone,Business Title,Department,Image,PIN,Location Slug,Identification,Slack';
// A front desk with nothing but a phone, in the warehouse.
const RITA = 'Rita,Reception,,+14165550142,Front Desk,,,,warehouse,,';

interface PushReport {
  plan: { create: number; update: number; archive: number };
  warnings: { dn?: string; location?: string; message: string }[];
  csvPath: string;
}

const sh = (args: string[], cwd: string): Promise<CliRun> => runAdsync(args, { cwd, env: ENV });

describe.skipIf(skip !== '')(
  `duplicate keys: one person's edit does not archive another (CLI, slapd, mock vendor)${skip ? ` (SKIPPED: ${skip})` : ''}`,
  () => {
    const servers = useExampleServers(SECRET);

    const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      ...pushConfig(
        { ldapUrl: servers.slapd.url, mockUrl: servers.mock.url, caFile: servers.caFile },
        {},
        { baseDN: SUFFIX },
      ),
      columns: { Identification: 'employeeNumber' },
      phone: { defaultCountry: 'CA' },
      output: { dir: './out' },
      ...extra,
    });
    /** Replace one attribute of an entry (an admin's or a user's edit), or delete it with undefined. */
    const edit = (dn: string, attribute: string, value: string | undefined): Promise<void> =>
      ldapmodify(
        value === undefined
          ? `dn: ${dn}\nchangetype: modify\ndelete: ${attribute}\n`
          : `dn: ${dn}\nchangetype: modify\nreplace: ${attribute}\n${attribute}: ${value}\n`,
      );
    const ldapmodify = async (text: string): Promise<void> => {
      const file = join(await tempDir(), 'change.ldif');
      await writeFile(file, text);
      await asRoot(servers.slapd, 'ldapmodify', SUFFIX, ['-f', file]);
    };
    const push = async (cwd: string, args: string[] = []): Promise<{ run: CliRun; report: PushReport }> => {
      const run = await sh(['push', '--json', ...args], cwd);
      return { run, report: JSON.parse(run.stdout) as PushReport };
    };
    const csv = async (path: string): Promise<Record<string, string>[]> =>
      parse<Record<string, string>>(await readFile(path, 'utf8'), { columns: true, bom: true });
    const sms = (rows: Record<string, string>[], last: string, location = 'hq'): string | undefined =>
      rows.find((r) => r['Last Name'] === last && r['Location Slug'] === location)?.['SMS Phone'];
    const status = (last: string, location = 'hq'): string | undefined =>
      servers.mock.contacts().find((c) => c.fields['Last Name'] === last && c.location === location)?.status;

    it("copying a colleague's mobile archives nobody: both rows are sent, the copy is left empty, a warning names both", async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      // Omar Smsonly's only key is his mobile. Ada Lovelace sorts before him: under the old
      // first-in-output-order rule her copy would have rejected his row and archived him.
      const first = await sh(['push', '--first-push'], cwd);
      expect(first.code, first.stderr).toBe(0);
      expect(status('Smsonly')).toBe('active');
      try {
        await edit(ADA, 'mobile', '+44 20 7946 0958');
        const { run, report } = await push(cwd);
        expect(run.code, run.stderr).toBe(0);
        expect(report.plan.archive).toBe(0);
        const rows = await csv(report.csvPath);
        expect(sms(rows, 'Smsonly')).toBe('+442079460958');
        expect(sms(rows, 'Lovelace')).toBe('');
        expect(report.warnings).toContainEqual({
          dn: ADA,
          location: 'hq',
          message: `Ada Lovelace <ada@example.com>: SMS Phone "+442079460958" is also on the row of Omar Smsonly (${OMAR}), who held it in the last push: left empty here (this row is sent without it; fix the value in the directory)`,
        });
        expect(run.stderr).toContain('Ada Lovelace <ada@example.com>: SMS Phone "+442079460958"');
        expect(status('Smsonly')).toBe('active');
        expect(status('Lovelace')).toBe('active');
        // It stays so on the next night: Omar keeps holding his number.
        const again = await push(cwd);
        expect(again.run.code, again.run.stderr).toBe(0);
        expect(again.report.plan).toMatchObject({ create: 0, update: 0, archive: 0 });
      } finally {
        await edit(ADA, 'mobile', '(416) 555-0101');
      }
    });

    it('a directory row copying the phone of an extraContacts row does not knock it out', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config({ extraContacts: './desk.csv' }));
      await writeFile(join(cwd, 'desk.csv'), `${HEADER}\n${RITA}\n`);
      const first = await sh(['push', '--first-push'], cwd);
      expect(first.code, first.stderr).toBe(0);
      expect(status('Reception', 'warehouse')).toBe('active');
      try {
        // Wendy Ware sorts after Rita Reception; either way, her copy must not win.
        await edit(WENDY, 'mobile', '416-555-0142');
        const { run, report } = await push(cwd);
        expect(run.code, run.stderr).toBe(0);
        expect(report.plan.archive).toBe(0);
        const rows = await csv(report.csvPath);
        expect(sms(rows, 'Reception', 'warehouse')).toBe('+14165550142');
        expect(sms(rows, 'Ware', 'warehouse')).toBe('');
        expect(report.warnings.map((w) => w.message)).toContainEqual(
          'Wendy Ware <wendy@example.com>: SMS Phone "+14165550142" is also on the row of Rita Reception (desk.csv line 2), who held it in the last push: left empty here (this row is sent without it; fix the value in the directory)',
        );
        expect(status('Reception', 'warehouse')).toBe('active');
      } finally {
        await edit(WENDY, 'mobile', '416-555-0199');
      }
    });

    it('the same email for two people in two locations is a warning naming both; one person in two is not', async () => {
      const cwd = await tempDir();
      // Ada is in hq by OU and in the warehouse through the warehouse-staff group.
      await writeConfig(
        cwd,
        config({
          locations: [
            { slug: 'hq', ous: [HQ] },
            { slug: 'warehouse', ous: [`ou=warehouse,ou=people,${SUFFIX}`] },
            { slug: 'warehouse', groups: [`cn=warehouse-staff,ou=groups,${SUFFIX}`] },
          ],
        }),
      );
      try {
        await edit(`uid=walt,ou=warehouse,ou=people,${SUFFIX}`, 'mail', 'zoe@example.com');
        const run = await sh(['push', '--dry-run', '--json'], cwd);
        expect(run.code, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout) as PushReport;
        expect(report.warnings).toContainEqual({
          dn: `uid=walt,ou=warehouse,ou=people,${SUFFIX}`,
          location: 'warehouse',
          message: `Walt Ware <zoe@example.com> (uid=walt,ou=warehouse,ou=people,${SUFFIX}) in location warehouse has the same email "zoe@example.com" as Zoë Ångström <zoe@example.com> (uid=zoe,${HQ}) in location hq: the vendor matches contacts by email and may merge the two people into one; fix the value in the directory`,
        });
        // Both are sent: each is unique in its own location.
        const rows = await csv(report.csvPath);
        expect(rows.filter((r) => r.Email === 'zoe@example.com').map((r) => r['Location Slug'])).toEqual([
          'hq',
          'warehouse',
        ]);
        expect(rows.filter((r) => r.Email === 'ada@example.com')).toHaveLength(2);
        expect(report.warnings.filter((w) => w.message.includes('"ada@example.com"'))).toEqual([]);
      } finally {
        await edit(`uid=walt,ou=warehouse,ou=people,${SUFFIX}`, 'mail', 'walt@example.com');
      }
    });

    it('a row whose only key is shared: its own copy is an ordinary archive; a key nobody held stops the push (archive-displaced)', async () => {
      const cwd = await tempDir();
      await writeConfig(cwd, config());
      const first = await sh(['push', '--first-push'], cwd);
      expect(first.code, first.stderr).toBe(0);
      const nia = `uid=nia,${HQ}`;
      try {
        // A new hire whose only key is a number nobody had, and Omar changes his to it too.
        await ldapmodify(
          `dn: ${nia}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: nia\ncn: Nia New\ngivenName: Nia\nsn: New\nmobile: +1 416 555 0177\nemployeeNumber: 1077\n`,
        );
        await edit(OMAR, 'mobile', '+1 416 555 0177');
        const uploads = servers.mock.uploads().length;
        const stopped = await push(cwd);
        expect(stopped.run.code, stopped.run.stderr).toBe(3);
        expect(stopped.run.stderr).toContain(
          "archive-displaced: would archive 1 contact in location hq whose only key (Email, SMS Phone…) another person's row now holds too, and neither held it in the last push",
        );
        expect(stopped.run.stderr).toContain(
          `${OMAR} [hq]: duplicate SMS Phone "+14165550177" is also on the row of Nia New (${nia}), and nobody held it in the last push`,
        );
        expect(servers.mock.uploads().length).toBe(uploads);
        expect(status('Smsonly')).toBe('active');
        const approved = await push(cwd, ['--allow-archive', '1']);
        expect(approved.run.code, approved.run.stderr).toBe(0);
        expect(status('Smsonly')).toBe('archived');

        // Another night, another directory: Omar copies Ada's mobile, which she held. His own
        // edit takes him off the kiosk: an ordinary archive, under the usual limits.
        await ldapmodify(`dn: ${nia}\nchangetype: delete\n`);
        await edit(OMAR, 'mobile', '+44 20 7946 0958');
        const other = await tempDir();
        await writeConfig(other, config());
        const again = await sh(['push', '--first-push'], other);
        expect(again.code, again.stderr).toBe(0);
        await edit(OMAR, 'mobile', '(416) 555-0101');
        const own = await push(other);
        expect(own.run.code, own.run.stderr).toBe(0);
        expect(own.report.plan.archive).toBe(1);
        expect(own.run.stderr).toContain(
          `${OMAR} [hq]: duplicate SMS Phone "+14165550101" is also on the row of Ada Lovelace <ada@example.com> (${ADA}), who held it in the last push: left empty here, and the row has no other key the vendor could match it by`,
        );
        expect(status('Smsonly')).toBe('archived');
        expect(status('Lovelace')).toBe('active');
      } finally {
        await edit(OMAR, 'mobile', '+44 20 7946 0958');
        await ldapmodify(`dn: ${nia}\nchangetype: delete\n`).catch(() => undefined);
      }
    });
  },
);
