import { describe, expect, it } from 'vitest';

import { repeatedTopLevelKeys } from '../../src/upload/json-keys.js';

describe('repeatedTopLevelKeys: the keys JSON.parse would silently collapse', () => {
  it('names a top-level key given twice, once, whatever its values', () => {
    expect(repeatedTopLevelKeys('{"archived":0,"archived":5000}')).toEqual(['archived']);
    expect(repeatedTopLevelKeys('{"a":1,"b":2,"a":3,"b":4,"a":5}')).toEqual(['a', 'b']);
    expect(repeatedTopLevelKeys('{"created":1,"updated":2}')).toEqual([]);
  });

  it('reads keys as JSON.parse does: escapes decoded, white space around the colon', () => {
    expect(repeatedTopLevelKeys('{"archived":0,"arch\\u0069ved":5000}')).toEqual(['archived']);
    expect(repeatedTopLevelKeys('{ "archived" : 0 ,\n\t"archived"\r\n:\n1 }')).toEqual(['archived']);
    // Two different keys that differ only by an escaped quote are not one.
    expect(repeatedTopLevelKeys('{"a\\"b":1,"a":2,"b":3}')).toEqual([]);
  });

  it('counts only the top level: nested objects and arrays may repeat keys between them', () => {
    const text = JSON.stringify({
      errors: [
        { row: 2, message: 'a' },
        { row: 3, message: 'b' },
      ],
      meta: { archived: 1 },
      archived: 0,
    });
    expect(repeatedTopLevelKeys(text)).toEqual([]);
    expect(repeatedTopLevelKeys('{"meta":{"x":1,"x":2},"x":3}')).toEqual([]);
  });

  it('is not fooled by braces, colons, quotes or backslashes inside strings', () => {
    const text = '{"note":"{\\"archived\\": 1} : [x]","a":"\\\\","archived":2,"b":"}{"}';
    expect(JSON.parse(text)).toBeTypeOf('object');
    expect(repeatedTopLevelKeys(text)).toEqual([]);
    expect(repeatedTopLevelKeys('{"v":"\\\\","v":"\\""}')).toEqual(['v']);
  });

  it('is linear: a megabyte of keys takes well under a second', () => {
    const text = `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":${i}`).join(',')},"k7":0}`;
    const started = performance.now();
    expect(repeatedTopLevelKeys(text)).toEqual(['k7']);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
