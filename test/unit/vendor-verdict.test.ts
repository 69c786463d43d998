import { describe, expect, it } from 'vitest';

import { VendorAnswerError } from '../../src/errors.js';
import { repeatedTopLevelKeys } from '../../src/upload/json-keys.js';
import {
  compareWithPlan,
  recognisedImport,
  summaryDoubt,
  summaryExcerpt,
  type Answer,
} from '../../src/upload/vendor-summary.js';
import { vendorAnswerError } from '../../src/upload/vendor-verdict.js';
import { plan } from '../harness/plan-counts.js';

/** An answer as readAnswer gives it, from the JSON text the vendor sent. */
const answer = (text: string): Answer => {
  const raw: unknown = JSON.parse(text);
  return { body: raw, raw, truncated: false, bytes: text.length, repeated: repeatedTopLevelKeys(text) };
};

const CSV = { csvPath: '/tmp/x.csv', httpStatus: 200 };

describe('a vendor answer far from the plan fails the run', () => {
  it('archived more than planned by more than max(5, 10%) fails, a smaller gap is at most a warning', () => {
    const far = compareWithPlan({ created: 0, updated: 0, archived: 910 }, plan({ unchanged: 3000 }), 3000);
    expect(far.farOff).toEqual([
      {
        count: 'archived',
        message: 'the vendor says it archived or disabled 910 contacts; the plan archived 0',
      },
    ]);
    const error = vendorAnswerError(far, plan({ unchanged: 3000 }), CSV);
    expect(error).toBeInstanceOf(VendorAnswerError);
    expect(error?.code).toBe('VENDOR_ARCHIVED_MORE');
    expect(error?.exitCode).toBe(1);
    expect(error?.reportDetails()).toMatchObject({
      planArchive: 0,
      vendorArchived: 910,
      planUnchanged: 3000,
    });
    // Five more is a vendor counting a little differently; six more is not.
    expect(compareWithPlan({ archived: 5 }, plan({ unchanged: 100 }), 100).farOff).toEqual([]);
    expect(compareWithPlan({ archived: 6 }, plan({ unchanged: 100 }), 100).farOff).toHaveLength(1);
    // Above 50 planned, 10% is the tolerance: 200 planned allows 220, not 221.
    expect(compareWithPlan({ archived: 220 }, plan({ archive: 200 }), 100).farOff).toEqual([]);
    expect(compareWithPlan({ archived: 221 }, plan({ archive: 200 }), 100).farOff).toHaveLength(1);
    // Disabled counts as archived (iLobby disables).
    expect(compareWithPlan({ archived: 3, disabled: 3 }, plan({}), 10).farOff).toHaveLength(1);
    expect(vendorAnswerError(compareWithPlan({ archived: 3 }, plan({}), 10), plan({}), CSV)).toBeUndefined();
  });

  it('rows the vendor refused explain as many archives more', () => {
    const errors = Array.from({ length: 8 }, (_, i) => ({ row: i + 2, message: 'bad email' }));
    expect(compareWithPlan({ archived: 8, errors }, plan({ unchanged: 50 }), 50).farOff).toEqual([]);
    expect(compareWithPlan({ archived: 20, errors }, plan({ unchanged: 50 }), 50).farOff[0]?.message).toBe(
      'the vendor says it archived or disabled 20 contacts; the plan archived 0 (and the vendor refused 8 rows)',
    );
  });

  it('on a first push (no baseline, approved) the archives are expected: a warning, never a failure', () => {
    const first = compareWithPlan({ created: 40, archived: 910 }, plan({ create: 40, firstPush: true }), 40);
    expect(first.farOff).toEqual([]);
    expect(first.differences).toEqual([
      'the vendor says it archived or disabled 910 contacts; the plan expected 0',
    ]);
  });

  it('created far fewer fails, unless the vendor already held them (matched above the plan)', () => {
    const fewer = compareWithPlan(
      { created: 1, updated: 0, unchanged: 12, archived: 0 },
      plan({ create: 10, unchanged: 12 }),
      22,
    );
    expect(fewer.farOff.map((f) => f.count)).toEqual(['created']);
    expect(vendorAnswerError(fewer, plan({ create: 10, unchanged: 12 }), CSV)?.code).toBe(
      'VENDOR_CREATED_FEWER',
    );
    // Contacts added in the vendor's portal by hand: it matched them instead of creating them.
    const held = compareWithPlan(
      { created: 1, updated: 0, unchanged: 21 },
      plan({ create: 10, unchanged: 12 }),
      22,
    );
    expect(held.farOff).toEqual([]);
    // Both far off: archived is the error's code, both are in its message.
    const both = compareWithPlan(
      { created: 0, updated: 5, archived: 50 },
      plan({ create: 40, update: 5 }),
      45,
    );
    const error = vendorAnswerError(both, plan({ create: 40, update: 5 }), CSV);
    expect(error?.code).toBe('VENDOR_ARCHIVED_MORE');
    expect(error?.message).toContain('created 0 contacts; the plan created 40');
  });
});

describe('a nonsensical summary is no confirmation', () => {
  it.each([
    ['{"created":-3,"errors":[]}', '"created" is -3, not a whole number of contacts'],
    ['{"updated":2.5}', '"updated" is 2.5, not a whole number of contacts'],
    ['{"archived":"12"}', '"archived" is "12", not a whole number of contacts'],
    ['{"created":1e400}', '"created" is Infinity, not a whole number of contacts'],
    ['{"created":1,"errors":"none"}', '"errors" is not a list'],
    ['{"archived":0,"archived":5000}', 'it names "archived" twice, with two values'],
    ['{"errors":[],"errors":[{"row":2}]}', 'it names "errors" twice, with two values'],
  ])('%s', (text, why) => {
    expect(summaryDoubt(answer(text))).toBe(why);
    expect(recognisedImport(answer(text), false)).toBe(false);
  });

  it('a repeated key adsync does not read, a null count or nested repeats are no doubt', () => {
    for (const text of [
      '{"created":1,"note":"a","note":"b"}',
      '{"created":1,"archived":null}',
      '{"created":0}',
    ])
      expect(summaryDoubt(answer(text))).toBeUndefined();
  });
});

describe("the history's excerpt of an answer", () => {
  it('keeps the counts and the first messages, a few hundred characters each at most', () => {
    const errors = [
      ...Array.from({ length: 3000 }, (_, i) => ({ row: i + 2, message: `bad ${'x'.repeat(1000)}` })),
    ];
    const excerpt = summaryExcerpt({ created: 4, archived: 1, disabled: 2, errors });
    expect(excerpt).toMatchObject({ created: 4, archived: 1, disabled: 2, rowErrors: 3000 });
    expect(excerpt.messages).toHaveLength(6);
    expect(excerpt.messages?.at(-1)).toBe('… (2995 more)');
    expect(JSON.stringify(excerpt).length).toBeLessThan(2048);
    expect(summaryExcerpt(`<html>${'y'.repeat(5000)}</html>`).messages?.[0]?.length).toBeLessThan(260);
    expect(summaryExcerpt('')).toEqual({});
  });
});
