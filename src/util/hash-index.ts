/**
 * A compact map from strings to small integers, for the per-contact sets a large export needs
 * (DNs seen in a location, unique values claimed, identities of the last push): it keeps a
 * 64-bit hash of each key and a 32-bit value, about 20 bytes an entry, instead of the key itself
 * (a JavaScript Map of strings costs 100 bytes or more an entry, which at a million people is
 * more than the whole memory budget). Two different keys with the same 64-bit hash would be
 * taken for one another; among a million keys the chance of that is about 3 in 100 million.
 */

let h1 = 0;
let h2 = 0;

/** Hash a string to two 32-bit lanes (cyrb53's mixing, keeping all 64 bits) in h1/h2. */
function hash(text: string): void {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 2654435761);
    b = Math.imul(b ^ c, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507);
  a ^= Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507);
  b ^= Math.imul(a ^ (a >>> 13), 3266489909);
  h1 = a | 0;
  h2 = b | 0;
}

/**
 * Hash the lower-case form of a text (the same bits as hashing `text.toLowerCase()`), without
 * building that string when the text is ASCII.
 */
function hashLower(text: string): void {
  let a = 0xdeadbeef;
  let b = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0x80) {
      hash(text.toLowerCase());
      return;
    }
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    a = Math.imul(a ^ c, 2654435761);
    b = Math.imul(b ^ c, 1597334677);
  }
  a = Math.imul(a ^ (a >>> 16), 2246822507);
  a ^= Math.imul(b ^ (b >>> 13), 3266489909);
  b = Math.imul(b ^ (b >>> 16), 2246822507);
  b ^= Math.imul(a ^ (a >>> 13), 3266489909);
  h1 = a | 0;
  h2 = b | 0;
}

/**
 * 64 bits of hash of a text as 16 hex digits, for row hashes (a change is missed only if the
 * old and new row collide: about 1 in 10^19).
 * @param text the text
 */
export function hash64Hex(text: string): string {
  hash(text);
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/**
 * 64 bits of hash of a text, written as two 32-bit halves into `out` at `offset` (the same bits
 * as {@link hash64Hex}).
 * @param text the text
 * @param out where to write
 * @param offset index of the first half
 */
export function hash64Into(text: string, out: Uint32Array, offset: number): void {
  hash(text);
  out[offset] = h1 >>> 0;
  out[offset + 1] = h2 >>> 0;
}

/**
 * 32 bits of hash of a text (for telling whether one cell changed).
 * @param text the text
 */
export function hash32(text: string): number {
  hash(text);
  return h1 >>> 0;
}

/** String keys to values 0 … 2^32 − 2, by 64-bit hash, with open addressing. */
export class HashIndex {
  private lane1: Int32Array;
  private lane2: Int32Array;
  /** Value + 1; 0 marks an empty slot. */
  private values: Uint32Array;
  private mask: number;
  /** Number of keys. */
  public size = 0;

  /**
   * @param expected how many keys to make room for at first (it grows as needed)
   */
  public constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 1.6) capacity *= 2;
    this.lane1 = new Int32Array(capacity);
    this.lane2 = new Int32Array(capacity);
    this.values = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  /** The slot of the key hashed into h1/h2: where it is, or the empty slot where it goes. */
  private slot(): number {
    let i = (h1 ^ Math.imul(h2, 0x9e3779b1)) & this.mask;
    for (;;) {
      const v = this.values[i] ?? 0;
      if (v === 0 || (this.lane1[i] === h1 && this.lane2[i] === h2)) return i;
      i = (i + 1) & this.mask;
    }
  }

  /**
   * @param key the key
   * @returns its value, or undefined
   */
  public get(key: string): number | undefined {
    hash(key);
    const v = this.values[this.slot()] ?? 0;
    return v === 0 ? undefined : v - 1;
  }

  /**
   * @param key the key
   */
  public has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Add a key, compared case-insensitively (as if lower-cased), unless present.
   * @param key the key
   * @param value its value if added
   * @returns the value it already had, or undefined when it was added
   */
  public addLowerCase(key: string, value: number): number | undefined {
    hashLower(key);
    return this.put(value, false);
  }

  /**
   * Look a key up and remember its hash for {@link HashIndex.addLast} (a key is hashed once when
   * it is looked up and then added).
   * @param key the key
   * @param keep where to keep its hash
   * @param at index in `keep` (two entries)
   * @returns its value, or undefined
   */
  public getAndKeep(key: string, keep: Int32Array, at: number): number | undefined {
    hash(key);
    keep[at] = h1;
    keep[at + 1] = h2;
    const v = this.values[this.slot()] ?? 0;
    return v === 0 ? undefined : v - 1;
  }

  /**
   * Add the key whose hash {@link HashIndex.getAndKeep} kept, unless present.
   * @param keep the kept hashes
   * @param at where
   * @param value its value
   */
  public addKept(keep: Int32Array, at: number, value: number): void {
    h1 = keep[at] ?? 0;
    h2 = keep[at + 1] ?? 0;
    this.put(value, false);
  }

  /**
   * Set a key's value (replacing an earlier one, as Map.set does).
   * @param key the key
   * @param value 0 … 2^32 − 2
   */
  public set(key: string, value: number): void {
    hash(key);
    this.put(value, true);
  }

  /**
   * Add a key unless present.
   * @param key the key
   * @param value its value if added
   * @returns the value it already had, or undefined when it was added
   */
  public add(key: string, value: number): number | undefined {
    hash(key);
    return this.put(value, false);
  }

  private put(value: number, replace: boolean): number | undefined {
    if ((this.size + 1) * 1.6 > this.values.length) {
      const k1 = h1;
      const k2 = h2;
      this.grow();
      h1 = k1;
      h2 = k2;
    }
    const i = this.slot();
    const old = this.values[i] ?? 0;
    if (old !== 0 && !replace) return old - 1;
    if (old === 0) {
      this.size++;
      this.lane1[i] = h1;
      this.lane2[i] = h2;
    }
    this.values[i] = value + 1;
    return old === 0 ? undefined : old - 1;
  }

  private grow(): void {
    const { lane1, lane2, values } = this;
    const capacity = values.length * 2;
    this.lane1 = new Int32Array(capacity);
    this.lane2 = new Int32Array(capacity);
    this.values = new Uint32Array(capacity);
    this.mask = capacity - 1;
    for (let j = 0; j < values.length; j++) {
      const v = values[j] ?? 0;
      if (v === 0) continue;
      h1 = lane1[j] ?? 0;
      h2 = lane2[j] ?? 0;
      const i = this.slot();
      this.lane1[i] = h1;
      this.lane2[i] = h2;
      this.values[i] = v;
    }
  }
}
