import { describe, expect, it } from 'vitest';

import { HashIndex, hash64Hex } from '../../src/util/hash-index.js';

describe('compact hash index', () => {
  it('behaves as a Map of strings through growth: add keeps the first, set replaces', () => {
    const index = new HashIndex(4);
    const map = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const key = `uid=user${i % 30_000},ou=people`;
      const had = map.get(key);
      expect(index.add(key, i)).toBe(had);
      if (had === undefined) map.set(key, i);
    }
    expect(index.size).toBe(30_000);
    for (const [key, value] of map) expect(index.get(key)).toBe(value);
    expect(index.get('uid=nobody')).toBeUndefined();
    index.set('uid=user1,ou=people', 7);
    expect(index.get('uid=user1,ou=people')).toBe(7);
    expect(index.size).toBe(30_000);
  });

  it('compares lower-cased keys, for DNs in any case (ASCII and beyond)', () => {
    const index = new HashIndex();
    expect(index.addLowerCase('UID=Ada,OU=People', 1)).toBeUndefined();
    expect(index.addLowerCase('uid=ada,ou=people', 2)).toBe(1);
    expect(index.addLowerCase('CN=Zoë ÅNGSTRÖM', 3)).toBeUndefined();
    expect(index.addLowerCase('cn=zoë ångström', 4)).toBe(3);
    expect(index.get('uid=ada,ou=people')).toBe(1);
  });

  it('looks a key up and adds it with one hash', () => {
    const index = new HashIndex();
    const keep = new Int32Array(2);
    expect(index.getAndKeep('a@x.org', keep, 0)).toBeUndefined();
    index.addKept(keep, 0, 5);
    expect(index.getAndKeep('a@x.org', keep, 0)).toBe(5);
    expect(hash64Hex('a@x.org')).toMatch(/^[0-9a-f]{16}$/);
  });
});
