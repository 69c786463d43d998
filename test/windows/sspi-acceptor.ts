import koffi from 'koffi';

/**
 * The server side of a Kerberos exchange through secur32.dll (AcceptSecurityContext), for the
 * Windows suite: Wine's acceptor reads its key from the keytab KRB5_KTNAME names (set by
 * scripts/windows/test.sh). Raw koffi calls, declared apart from the provider under test.
 */
const SecBuffer = koffi.struct({ cbBuffer: 'uint32_t', BufferType: 'uint32_t', pvBuffer: 'void *' });
const SecBufferDesc = koffi.struct({ ulVersion: 'uint32_t', cBuffers: 'uint32_t', pBuffers: 'void *' });
const SecHandle = koffi.struct({ dwLower: 'uintptr_t', dwUpper: 'uintptr_t' });

/** An acceptor: one step at a time, then freed. */
export interface Acceptor {
  /** AcceptSecurityContext on the client's token: its status and output token. */
  step(token: Uint8Array): { status: number; token: Buffer; attributes: number };
  close(): void;
}

/** Inbound Kerberos credentials and an acceptor context. */
export function kerberosAcceptor(): Acceptor {
  const lib = koffi.load('secur32.dll');
  const acquire = lib.func(
    'uint32_t __stdcall AcquireCredentialsHandleW(const char16_t *p, const char16_t *pkg, uint32_t use, void *l, void *a, void *f, void *fa, void *cred, void *exp)',
  );
  const accept = lib.func(
    'uint32_t __stdcall AcceptSecurityContext(void *cred, void *ctx, void *input, uint32_t req, uint32_t drep, void *newCtx, void *output, _Out_ uint32_t *attrs, void *exp)',
  );
  const deleteContext = lib.func('uint32_t __stdcall DeleteSecurityContext(void *ctx)');
  const freeCredentials = lib.func('uint32_t __stdcall FreeCredentialsHandle(void *cred)');
  const blocks: unknown[] = [];
  const alloc = (type: Parameters<typeof koffi.alloc>[0], count: number): unknown => {
    const block: unknown = koffi.alloc(type, count);
    blocks.push(block);
    return block;
  };
  const cred = alloc(SecHandle, 1);
  const ctx = alloc(SecHandle, 1);
  const acquired = acquire(null, 'Kerberos', 1, null, null, null, null, cred, null) as number;
  if (acquired !== 0) throw new Error(`the acceptor's credentials: 0x${acquired.toString(16)}`);
  let started = false;
  /** A one-buffer descriptor: a copy of the bytes, or room for `size`. */
  const descriptor = (bytes: Uint8Array, size: number): { desc: unknown; buffer: unknown } => {
    const data = alloc('uint8_t', Math.max(size, 1));
    new Uint8Array(koffi.view(data, size)).set(bytes);
    const buffer = alloc(SecBuffer, 1);
    koffi.encode(buffer, SecBuffer, { cbBuffer: size, BufferType: 2, pvBuffer: data });
    const desc = alloc(SecBufferDesc, 1);
    koffi.encode(desc, SecBufferDesc, { ulVersion: 0, cBuffers: 1, pBuffers: buffer });
    return { desc, buffer };
  };
  return {
    step(token) {
      const input = descriptor(token, token.length);
      const output = descriptor(new Uint8Array(0), 12_000);
      const attributes: [number] = [0];
      const status = accept(
        cred,
        started ? ctx : null,
        input.desc,
        2 | 8 | 0x20000,
        0x10,
        ctx,
        output.desc,
        attributes,
        null,
      ) as number;
      started = true;
      const out = koffi.decode(output.buffer, SecBuffer) as { cbBuffer: number; pvBuffer: unknown };
      const bytes =
        out.cbBuffer > 0 ? Buffer.from(koffi.view(out.pvBuffer, out.cbBuffer).slice(0)) : Buffer.alloc(0);
      return { status, token: bytes, attributes: attributes[0] };
    },
    close() {
      if (started) deleteContext(ctx);
      freeCredentials(cred);
      for (const block of blocks.splice(0)) koffi.free(block);
    },
  };
}
