import { describe, expect, it } from 'vitest';

import { fitTable, renderCheck } from '../../src/commands/check/render.js';
import { renderVendorCheck, type VendorCheck } from '../../src/commands/check/vendor.js';
import { probeVerdict } from '../../src/upload/upload-probe.js';
import { plainStyle } from '../../src/commands/output.js';

describe("check's preview table", () => {
  const table = [
    ['First Name', 'Last Name', 'Email', 'Pager', 'Title'],
    [
      'Ada',
      'Lovelace',
      'ada.lovelace@analytical-engines.example.com',
      '',
      'Countess and programmer of engines',
    ],
    ['Bob', 'Li', 'bob@example.com', '', ''],
  ];

  it('leaves out columns empty in every row and keeps every line within the width', () => {
    for (const width of [40, 60, 80, 120]) {
      const lines = fitTable(table, width);
      expect(lines[0]).not.toContain('Pager');
      for (const line of lines) expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
    }
    const wide = fitTable(table, 200);
    expect(wide).toHaveLength(3);
    expect(wide[1]).toContain('Lovelace');
    expect(wide[1]).toContain('ada.lovelace@analytical-engines.example.com');
  });

  it('with no width (a pipe or a file) shows every cell whole', () => {
    const lines = fitTable(table, Number.POSITIVE_INFINITY);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('ada.lovelace@analytical-engines.example.com');
    expect(lines[1]).toContain('Countess and programmer of engines');
    expect(lines[0]).not.toContain('Pager');
  });

  it('at 80 columns leaves out columns on the right, named, rather than cut every one short', () => {
    const headers = ['First Name', 'Last Name', 'Email', 'SMS Phone', 'Business Title', 'Department'];
    const wide = [...headers, 'Image', 'PIN', 'Location Slug', 'Identification', 'Slack'];
    const row = [
      'Ada',
      'Lovelace',
      'ada.lovelace@analytical-engines.example.com',
      '+14165550101',
      'Countess and programmer of engines',
      'Research & Development',
      'https://img.example.com/ada.png',
      '1234',
      'headquarters',
      '9f1c2b7e-0000-4000-8000-000000000001',
      'ada',
    ];
    const lines = fitTable([wide, row], 80);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const cells = (lines[1] ?? '').trim().split(' │ ');
    // No cell is cut below 12 characters (every one used to be cut to ~7).
    const cut = cells.filter((c) => c.endsWith('…'));
    expect(cut.length).toBeGreaterThan(0);
    for (const cell of cut) expect(cell.length, cell).toBeGreaterThanOrEqual(12);
    expect(cells[0]).toBe('Ada       ');
    expect(cells.length).toBeLessThan(wide.length);
    expect(lines.at(-1)).toMatch(/^ {2}\+ \d+ more columns: .*Identification, Slack$/);
  });

  it('on a very narrow terminal, leaves out columns on the right rather than overflow', () => {
    const lines = fitTable(table, 20);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(20);
    expect(lines[0]).toMatch(/^ {2}Fir/);
  });

  it('says 1 row, and a failing location with its hint', () => {
    const text = renderCheck(
      plainStyle,
      {
        configPath: '/x/adsync.yaml',
        urls: [{ url: 'ldap://dc', ok: true, boundAs: 'svc' }],
        headers: ['First Name'],
        warnings: [],
        locations: [
          { slug: 'a', rows: 1, rejected: 0, preview: [['Ada']] },
          {
            slug: 'b',
            rows: 0,
            rejected: 0,
            preview: [],
            error: { code: 'LDAP_ACCESS', message: 'refused', hint: 'grant it' },
          },
        ],
      },
      80,
    )
      .map((l) => l.text)
      .join('\n');
    expect(text).toContain('a: 1 row\n');
    expect(text).toContain('✘ b: refused\n    hint: grant it');
  });
});

describe("check's upload URL line", () => {
  const base = {
    status: 'ok' as const,
    auth: 'oauth2' as const,
    endpoints: [{ key: 'uploadUrl' as const, url: 'https://v.example/contacts/import' }],
  };
  const probe = {
    url: 'https://v.example/contacts/import',
    method: 'OPTIONS' as const,
    httpStatus: 200,
  };
  const text = (vendor: VendorCheck): string =>
    renderVendorCheck(plainStyle, vendor)
      .map((l) => l.text)
      .join('\n');

  it('shows ✔ only for a verified path; an https:// URL alone or an answer that proves nothing is not', () => {
    const verified = text({
      ...base,
      upload: {
        ...probe,
        httpStatus: 405,
        verdict: 'exists',
        verified: true,
        checked: 'OPTIONS answered 405',
      },
    });
    expect(verified).toContain(
      '✔ vendor: target.uploadUrl https://v.example/contacts/import exists: OPTIONS',
    );
    const unverified = text({
      ...base,
      upload: { ...probe, verdict: 'unverified', verified: false, checked: 'OPTIONS answered 200' },
    });
    expect(unverified).toContain('? vendor: target.uploadUrl https://v.example/contacts/import: OPTIONS');
    expect(unverified).not.toContain('✔');
    const notProbed = text({
      ...base,
      status: 'failed',
      failedStep: 'token',
      error: { code: 'UPLOAD_AUTH', message: 'refused' },
    });
    expect(notProbed).toContain('- vendor: target.uploadUrl https://v.example/contacts/import: not checked');
    expect(notProbed).not.toContain('✔');
  });

  it('judges the answer to OPTIONS by HTTP alone', () => {
    expect(probeVerdict(405, undefined)).toBe('exists');
    expect(probeVerdict(204, 'OPTIONS, POST')).toBe('exists');
    expect(probeVerdict(200, undefined)).toBe('unverified');
    expect(probeVerdict(200, 'GET, HEAD')).toBe('unverified');
    expect(probeVerdict(302, undefined)).toBe('unverified');
    expect(probeVerdict(503, undefined)).toBe('unverified');
    expect(probeVerdict(404, undefined)).toBe('not-found');
    expect(probeVerdict(410, undefined)).toBe('not-found');
    expect(probeVerdict(401, undefined)).toBe('refused');
    expect(probeVerdict(403, undefined)).toBe('refused');
  });
});
