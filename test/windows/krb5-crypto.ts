import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * RFC 3962 aes256-cts-hmac-sha1-96 encryption (RFC 3961's simplified profile), enough to seal a
 * ticket for a service key the test chose: no KDC needed for a full Kerberos exchange.
 */

/** RFC 3961 5.1 n-fold: the input replicated with 13-bit rotations and added with end carry. */
function nfold(input: Buffer, bytes: number): Buffer {
  const inBits = input.length * 8;
  const lcm = (a: number, b: number): number => {
    let [x, y] = [a, b];
    while (y !== 0) [x, y] = [y, x % y];
    return (a * b) / x;
  };
  const total = lcm(input.length, bytes);
  const bit = (i: number): number => {
    const copy = Math.floor(i / inBits);
    const rotated = ((((i % inBits) - 13 * copy) % inBits) + inBits) % inBits;
    return ((input[rotated >> 3] ?? 0) >> (7 - (rotated & 7))) & 1;
  };
  const sum = new Array<number>(bytes).fill(0);
  for (let chunk = 0; chunk < total / bytes; chunk++) {
    for (let b = 0; b < bytes; b++) {
      let v = 0;
      for (let k = 0; k < 8; k++) v = (v << 1) | bit((chunk * bytes + b) * 8 + k);
      sum[b] = (sum[b] ?? 0) + v;
    }
  }
  let carry = 0;
  for (let b = bytes - 1; b >= 0; b--) {
    const v = (sum[b] ?? 0) + carry;
    sum[b] = v & 0xff;
    carry = v >> 8;
  }
  for (let b = bytes - 1; carry !== 0 && b >= 0; b--) {
    const v = (sum[b] ?? 0) + carry;
    sum[b] = v & 0xff;
    carry = v >> 8;
  }
  return Buffer.from(sum);
}

const ecb = (key: Buffer, block: Buffer): Buffer => {
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
};

/** RFC 3961 5.1 DK for AES-256: DR's blocks until 32 bytes (random-to-key is the identity). */
function derive(key: Buffer, constant: Buffer): Buffer {
  let block = nfold(constant, 16);
  const out: Buffer[] = [];
  for (let n = 0; n < 2; n++) {
    block = ecb(key, block);
    out.push(block);
  }
  return Buffer.concat(out);
}

/** AES-CTS with a zero IV (RFC 3962 5): CBC, the last two blocks swapped, the last truncated. */
function cts(key: Buffer, data: Buffer): Buffer {
  if (data.length === 16) return ecb(key, data);
  const padded = Buffer.concat([data, Buffer.alloc((16 - (data.length % 16)) % 16)]);
  const c = createCipheriv('aes-256-cbc', key, Buffer.alloc(16)).setAutoPadding(false);
  const cbc = Buffer.concat([c.update(padded), c.final()]);
  const n = cbc.length / 16;
  const last = data.length - (n - 1) * 16;
  return Buffer.concat([
    cbc.subarray(0, (n - 2) * 16),
    cbc.subarray((n - 1) * 16),
    cbc.subarray((n - 2) * 16, (n - 2) * 16 + last),
  ]);
}

/**
 * Encrypt for a key usage: confounder + plaintext under Ke, HMAC-SHA1-96 under Ki.
 * @param key the 32-byte base key
 * @param usage the RFC 4120 key usage (2: a ticket's EncTicketPart)
 * @param plaintext what to seal
 */
export function encryptAes256(key: Buffer, usage: number, plaintext: Buffer): Buffer {
  const constant = (suffix: number): Buffer => {
    const b = Buffer.alloc(5);
    b.writeUInt32BE(usage);
    b[4] = suffix;
    return b;
  };
  const ke = derive(key, constant(0xaa));
  const ki = derive(key, constant(0x55));
  const data = Buffer.concat([randomBytes(16), plaintext]);
  const mac = createHmac('sha1', ki).update(data).digest().subarray(0, 12);
  return Buffer.concat([cts(ke, data), mac]);
}

/** RFC 3961 A.1's first n-fold vector, for a self-check. */
export const nfoldSelfCheck = (): string => nfold(Buffer.from('012345'), 8).toString('hex');
