import { describe, expect, it } from 'vitest';

import { errorReport } from '../../src/cli/report.js';
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
    expect(errorReport('push', error, new Date()).error?.details).toEqual({
      planPath: '/out/plan.json',
      csvPath: '/out/a.csv',
      guards: 'archive-limit,must-include',
    });
  });

  it('upload details are typed and reported as they are; no details, no field', () => {
    const error = new UploadError('UPLOAD_FAILED', 'busy', { details: { httpStatus: 503, retryable: true } });
    expect(error.details?.retryable).toBe(true);
    expect(errorReport('push', error, new Date()).error?.details).toEqual({
      httpStatus: 503,
      retryable: true,
    });
    expect(
      errorReport('push', new ConfigError('CONFIG_INVALID', 'bad'), new Date()).error,
    ).not.toHaveProperty('details');
  });
});
