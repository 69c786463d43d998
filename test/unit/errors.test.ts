import { describe, expect, it } from 'vitest';

import { failureOf } from '../../src/cli/exit.js';
import { ConfigError, GuardError, UploadError } from '../../src/errors.js';

describe('error details', () => {
  it('a guard error carries its trips, plan counts and files; the JSON report keeps its flat shape', () => {
    const error = new GuardError('stopped', {
      details: {
        trips: [
          { guard: 'archive-limit', message: 'would archive 11 of 100' },
          { guard: 'must-include', message: 'ceo missing' },
        ],
        plan: { create: 1, update: 2, archive: 11, unchanged: 87, firstPush: false },
        planPath: '/out/plan.json',
        csvPath: '/out/a.csv',
        rejectsPath: '/out/a.rejects.csv',
      },
    });
    expect(error.details.plan.archive).toBe(11);
    expect(failureOf(error).details).toEqual({
      planPath: '/out/plan.json',
      csvPath: '/out/a.csv',
      guards: 'archive-limit,must-include',
    });
  });

  it('upload details are typed and reported as they are; no details, no field', () => {
    const error = new UploadError('UPLOAD_FAILED', 'busy', { details: { httpStatus: 503, retryable: true } });
    expect(error.details?.retryable).toBe(true);
    expect(failureOf(error).details).toEqual({
      httpStatus: 503,
      retryable: true,
    });
    expect(failureOf(new ConfigError('CONFIG_INVALID', 'bad')).details).toBeUndefined();
  });
});
