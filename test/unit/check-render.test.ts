import { describe, expect, it } from 'vitest';

import { fitTable, renderCheck } from '../../src/commands/check/render.js';
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
      expect(lines).toHaveLength(3);
      expect(lines[0]).not.toContain('Pager');
      for (const line of lines) expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
    }
    const wide = fitTable(table, 200);
    expect(wide[1]).toContain('Lovelace');
    expect(wide[1]).toContain('ada.lovelace@analytical-engin…');
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
