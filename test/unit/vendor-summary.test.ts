import { describe, expect, it } from 'vitest';

import { compareWithPlan } from '../../src/upload/vendor-summary.js';
import { plan } from '../harness/plan-counts.js';

describe("the vendor's import summary checked against the plan", () => {
  it('zeros for a non-empty upload are "imported nothing", whatever errors come with them', () => {
    const first = compareWithPlan(
      { created: 0, updated: 0, unchanged: 0, errors: [] },
      plan({ create: 40 }),
      40,
    );
    expect(first).toMatchObject({ importedNothing: true, zeros: 'created, updated and unchanged' });
    const header = compareWithPlan(
      {
        created: 0,
        updated: 0,
        unchanged: 0,
        errors: [{ message: 'invalid header' }, { row: 3, message: 'bad' }],
      },
      plan({ create: 40 }),
      40,
    );
    expect(header).toMatchObject({ importedNothing: true, fileErrors: ['invalid header'] });
    // An empty upload imports nothing, and says so rightly.
    expect(
      compareWithPlan({ created: 0, updated: 0, unchanged: 0 }, plan({ archive: 3 }), 0).importedNothing,
    ).toBe(false);
  });

  it('a vendor that leaves out "unchanged" confirms a push that changed nothing', () => {
    const quiet = compareWithPlan({ created: 0, updated: 0, archived: 0 }, plan({ unchanged: 3000 }), 3000);
    expect(quiet).toMatchObject({ importedNothing: false, differences: [] });
    // With something to create or update, its zeros still mean nothing was imported.
    const none = compareWithPlan({ created: 0, updated: 0 }, plan({ create: 10, unchanged: 3000 }), 3010);
    expect(none).toMatchObject({ importedNothing: true, zeros: 'created and updated' });
  });

  it('how a vendor counts updates is not a warning; taking in clearly fewer rows, or creating or archiving clearly other numbers, is', () => {
    // iLobby ignores empty fields: 30 cleared titles are no change there.
    const cleared = compareWithPlan(
      { created: 0, updated: 0, unchanged: 30, archived: 0 },
      plan({ update: 30 }),
      30,
    );
    expect(cleared.differences).toEqual([]);
    // A vendor counting every contact it matched as updated.
    const all = compareWithPlan(
      { created: 2, updated: 100, unchanged: 0 },
      plan({ create: 2, update: 10, unchanged: 90 }),
      102,
    );
    expect(all.differences).toEqual([]);
    const half = compareWithPlan(
      { created: 1, updated: 0, unchanged: 50, archived: 40 },
      plan({ create: 40, unchanged: 60, archive: 2 }),
      100,
    );
    expect(half).toMatchObject({ importedNothing: false });
    expect(half.differences).toEqual([
      'the vendor says it took in 51 contacts (created, updated or unchanged); the upload planned 100',
    ]);
    // Created far fewer and archived far more fail the run (see vendor-verdict.test.ts).
    expect(half.farOff.map((f) => f.count)).toEqual(['archived', 'created']);
    expect(compareWithPlan({ updated: 500 }, plan({ update: 10, unchanged: 90 }), 100).differences).toEqual([
      'the vendor says it updated 500 contacts; the upload matched at most 100 it held',
    ]);
  });
});
