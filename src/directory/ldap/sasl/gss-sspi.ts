/**
 * The GSS-API provider for Windows: the Kerberos package of SSPI (secur32.dll), called through
 * koffi, the calls go-ldap's v3/gssapi/sspi.go makes through alexbrainman/sspi. The credentials
 * are those of the account adsync runs as (a user, or the gMSA of its scheduled task): nothing
 * is stored, so the MIT settings kerberos.keytab and kerberos.principal are refused here.
 */
import type * as Koffi from 'koffi';
import type { KoffiFunc } from 'koffi';

import { GssFailure, type GssProvider, type GssRequest, type GssSession, type GssStep } from './gss.js';
import { asyncCall, koffiModule } from './koffi.js';
import { secChannelBindings, sspiFailure } from './sspi-data.js';

/** sspi.h and winerror.h values. */
const SEC_E_OK = 0;
const SEC_I_CONTINUE_NEEDED = 0x00090312;
const SECPKG_CRED_OUTBOUND = 2;
const SECURITY_NATIVE_DREP = 0x10;
const SECPKG_ATTR_SIZES = 0;
const SECBUFFER_VERSION = 0;
const SECBUFFER_DATA = 1;
const SECBUFFER_TOKEN = 2;
const SECBUFFER_PADDING = 9;
const SECBUFFER_STREAM = 10;
const SECBUFFER_CHANNEL_BINDINGS = 14;
/** The QOP of a signed-only message: GSS_Wrap with conf_flag FALSE, as RFC 4752 3.1 asks. */
const KERB_WRAP_NO_ENCRYPT = 0x80000001;
const ISC_REQ_MUTUAL_AUTH = 0x2;
const ISC_REQ_SEQUENCE_DETECT = 0x8;
const ISC_REQ_ALLOCATE_MEMORY = 0x100;
const ISC_REQ_INTEGRITY = 0x10000;

/**
 * What the context is asked for: what gss-mit.ts asks of MIT (mutual authentication, sequence
 * detection, integrity). go-ldap asks integrity, confidentiality and mutual authentication; the
 * SASL security layer adsync chooses is "none" over TLS (AD refuses a layer inside TLS,
 * MS-ADTS 5.1.2.1), so only the signed layer-choice message needs the context's keys, which
 * integrity gives. ALLOCATE_MEMORY: the package sizes the output token itself (no
 * QuerySecurityPackageInfo for cbMaxToken); it is copied out and given back with FreeContextBuffer.
 */
const REQ_FLAGS = ISC_REQ_MUTUAL_AUTH | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_INTEGRITY | ISC_REQ_ALLOCATE_MEMORY;
/** What an established context must have: the server proven (mutual) and messages signable. */
const REQUIRED_RET = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY;

/** A native pointer as koffi hands it out (an external), or null. */
type Pointer = unknown;

/** The functions used, typed. */
interface Sspi {
  koffi: typeof Koffi;
  acquire: KoffiFunc<
    (
      principal: null,
      pkg: string,
      use: number,
      logonId: null,
      authData: null,
      getKey: null,
      getKeyArg: null,
      cred: Pointer,
      expiry: null,
    ) => number
  >;
  init: KoffiFunc<
    (
      cred: Pointer,
      ctx: Pointer,
      target: string,
      req: number,
      reserved1: number,
      drep: number,
      input: Pointer,
      reserved2: number,
      newCtx: Pointer,
      output: Pointer,
      attrs: [number],
      expiry: null,
    ) => number
  >;
  query: KoffiFunc<(ctx: Pointer, attribute: number, buffer: Pointer) => number>;
  encrypt: KoffiFunc<(ctx: Pointer, qop: number, message: Pointer, seq: number) => number>;
  decrypt: KoffiFunc<(ctx: Pointer, message: Pointer, seq: number, qop: [number]) => number>;
  deleteContext: KoffiFunc<(ctx: Pointer) => number>;
  freeCredentials: KoffiFunc<(cred: Pointer) => number>;
  freeBuffer: KoffiFunc<(buffer: Pointer) => number>;
}

let loaded: Sspi | undefined;

/** Load secur32.dll and declare the functions (once per thread). */
async function sspi(): Promise<Sspi> {
  if (loaded) return loaded;
  const koffi = await koffiModule();
  let lib: Koffi.LibraryHandle;
  try {
    lib = koffi.load('secur32.dll');
  } catch (error) {
    throw new GssFailure(
      'no-library',
      `Windows SSPI (secur32.dll) could not be loaded (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  // The structures are only written and read through these types (encode/decode, sizeof,
  // offsetof): every argument below is a pointer to memory this module allocates.
  koffi.struct('SecHandle', { dwLower: 'uintptr_t', dwUpper: 'uintptr_t' });
  koffi.struct('SecBuffer', { cbBuffer: 'uint32_t', BufferType: 'uint32_t', pvBuffer: 'void *' });
  koffi.struct('SecBufferDesc', { ulVersion: 'uint32_t', cBuffers: 'uint32_t', pBuffers: 'void *' });
  koffi.struct('SecPkgContext_Sizes', {
    cbMaxToken: 'uint32_t',
    cbMaxSignature: 'uint32_t',
    cbBlockSize: 'uint32_t',
    cbSecurityTrailer: 'uint32_t',
  });
  // A cast at the FFI boundary: koffi types every foreign function as `any`; the declarations
  // are sspi.h's. SECURITY_STATUS (a LONG) is read as uint32_t to compare with the hex codes;
  // __stdcall is WINAPI's convention on 32-bit x86 and ignored by koffi elsewhere (x64 and arm64
  // have one convention).
  const fn = <T extends (...args: never[]) => unknown>(decl: string): KoffiFunc<T> =>
    lib.func(decl) as KoffiFunc<T>;
  loaded = {
    koffi,
    acquire: fn(
      'uint32_t __stdcall AcquireCredentialsHandleW(const char16_t *principal, const char16_t *package, uint32_t use, void *logonId, void *authData, void *getKeyFn, void *getKeyArg, void *cred, void *expiry)',
    ),
    init: fn(
      'uint32_t __stdcall InitializeSecurityContextW(void *cred, void *ctx, const char16_t *target, uint32_t req, uint32_t reserved1, uint32_t drep, void *input, uint32_t reserved2, void *newCtx, void *output, _Out_ uint32_t *attrs, void *expiry)',
    ),
    query: fn('uint32_t __stdcall QueryContextAttributesW(void *ctx, uint32_t attribute, void *buffer)'),
    encrypt: fn('uint32_t __stdcall EncryptMessage(void *ctx, uint32_t qop, void *message, uint32_t seq)'),
    decrypt: fn(
      'uint32_t __stdcall DecryptMessage(void *ctx, void *message, uint32_t seq, _Out_ uint32_t *qop)',
    ),
    deleteContext: fn('uint32_t __stdcall DeleteSecurityContext(void *ctx)'),
    freeCredentials: fn('uint32_t __stdcall FreeCredentialsHandle(void *cred)'),
    freeBuffer: fn('uint32_t __stdcall FreeContextBuffer(void *buffer)'),
  };
  return loaded;
}

/** One SecBuffer to pass: its type, and its bytes or (for an output) its size. */
interface BufferSpec {
  type: number;
  bytes?: Uint8Array | undefined;
  size?: number | undefined;
}

/** A SecBufferDesc in native memory, and how to read its buffers back after a call. */
interface Descriptor {
  desc: Pointer;
  /** The buffer's (possibly updated) length and pointer. */
  read(index: number): { length: number; pointer: Pointer };
}

/**
 * Native memory for one call, freed together. SSPI writes into the buffers it is given
 * (DecryptMessage in place, EncryptMessage into the trailer and padding) and points its results
 * into them, so they live in memory this module owns rather than in koffi's temporary copies.
 */
class Scratch {
  private readonly blocks: Pointer[] = [];

  public constructor(private readonly koffi: typeof Koffi) {}

  /** A block of `type` (a struct name or uint8_t), `count` long. */
  public alloc(type: string, count: number): Pointer {
    const block: unknown = this.koffi.alloc(type, Math.max(count, 1));
    this.blocks.push(block);
    return block;
  }

  /** A copy of the bytes, in a block of at least `size`, the rest zeroed (never stale heap). */
  public bytes(data: Uint8Array, size = data.length): Pointer {
    const block = this.alloc('uint8_t', size);
    if (size > 0) {
      const view = new Uint8Array(this.koffi.view(block, size));
      view.fill(0);
      view.set(data);
    }
    return block;
  }

  /** A SecBufferDesc holding the buffers. */
  public descriptor(specs: BufferSpec[]): Descriptor {
    const k = this.koffi;
    const size = k.sizeof('SecBuffer');
    const array = this.alloc('SecBuffer', specs.length);
    specs.forEach((spec, index) => {
      const length = spec.bytes?.length ?? spec.size ?? 0;
      const pointer = length === 0 ? null : this.bytes(spec.bytes ?? new Uint8Array(0), length);
      k.encode(array, index * size, 'SecBuffer', {
        cbBuffer: length,
        BufferType: spec.type,
        pvBuffer: pointer,
      });
    });
    const desc = this.alloc('SecBufferDesc', 1);
    k.encode(desc, 'SecBufferDesc', {
      ulVersion: SECBUFFER_VERSION,
      cBuffers: specs.length,
      pBuffers: array,
    });
    return {
      desc,
      read: (index) => ({
        length: uint32(k.decode(array, index * size + k.offsetof('SecBuffer', 'cbBuffer'), 'uint32_t')),
        pointer: k.decode(array, index * size + k.offsetof('SecBuffer', 'pvBuffer'), 'void *') as unknown,
      }),
    };
  }

  public free(): void {
    for (const block of this.blocks.splice(0)) this.koffi.free(block);
  }
}

/** A 32-bit field koffi decoded. */
function uint32(value: unknown): number {
  if (typeof value !== 'number') throw new GssFailure('other', 'SSPI returned a malformed structure');
  return value;
}

/** Copy `length` bytes from native memory. */
function copy(koffi: typeof Koffi, pointer: Pointer, length: number): Uint8Array {
  if (length === 0 || pointer === null) return new Uint8Array(0);
  return new Uint8Array(koffi.view(pointer, length).slice(0));
}

/** keytab and principal are MIT's: on Windows the account adsync runs as is the identity. */
function refuseMitSettings(request: GssRequest): void {
  const setting =
    request.keytab !== undefined
      ? 'kerberos.keytab'
      : request.principal !== undefined
        ? 'kerberos.principal'
        : '';
  if (setting === '') return;
  throw new GssFailure(
    'other',
    `${setting} is for Linux and macOS (MIT Kerberos); on Windows adsync authenticates as the account it runs as (a user, or the gMSA of its scheduled task), so remove ${setting} and run adsync as that account`,
  );
}

/** Outbound Kerberos credentials of the account this process runs as. */
async function acquire(lib: Sspi, scratch: Scratch): Promise<Pointer> {
  const cred = scratch.alloc('SecHandle', 1);
  const status = await asyncCall(lib.acquire, [
    null,
    'Kerberos',
    SECPKG_CRED_OUTBOUND,
    null,
    null,
    null,
    null,
    cred,
    null,
  ]);
  if (status !== SEC_E_OK) throw sspiFailure('acquiring the Kerberos credentials of this account', status);
  return cred;
}

/** A context towards request.spn with the credentials (both handles live in `handles`). */
function session(lib: Sspi, handles: Scratch, cred: Pointer, request: GssRequest): GssSession {
  const ctx = handles.alloc('SecHandle', 1);
  const bindings = secChannelBindings(request.channelBinding);
  let started = false;
  let closed = false;
  return {
    async step(input) {
      const scratch = new Scratch(lib.koffi);
      try {
        const result = await step(lib, scratch, { cred, ctx, started, bindings, input, spn: request.spn });
        started = true;
        return result;
      } finally {
        scratch.free();
      }
    },
    unwrap: (message) => once(lib, (scratch) => unwrap(lib, scratch, ctx, message)),
    wrap: (message) => once(lib, (scratch) => wrap(lib, scratch, ctx, message)),
    close() {
      if (closed) return;
      closed = true;
      try {
        if (started) lib.deleteContext(ctx);
        lib.freeCredentials(cred);
      } catch {
        // Nothing to do about a handle that cannot be freed; close never throws.
      } finally {
        handles.free();
      }
    },
  };
}

/** Run a synchronous call with its own native memory, freed whatever happens. */
function once<T>(lib: Sspi, f: (scratch: Scratch) => T): T {
  const scratch = new Scratch(lib.koffi);
  try {
    return f(scratch);
  } finally {
    scratch.free();
  }
}

/** What one InitializeSecurityContextW call needs. */
interface StepState {
  cred: Pointer;
  ctx: Pointer;
  started: boolean;
  bindings: Uint8Array;
  input: Uint8Array | undefined;
  spn: string;
}

/**
 * One InitializeSecurityContextW call: the server's token (none at first) and the channel
 * bindings in, the next token out. The bindings go with every call, as .NET's SSPI client passes
 * them; Kerberos uses them when it builds the AP-REQ.
 */
async function step(lib: Sspi, scratch: Scratch, state: StepState): Promise<GssStep> {
  const inputs: BufferSpec[] = [{ type: SECBUFFER_CHANNEL_BINDINGS, bytes: state.bindings }];
  if (state.input) inputs.unshift({ type: SECBUFFER_TOKEN, bytes: state.input });
  const input = scratch.descriptor(inputs);
  const output = scratch.descriptor([{ type: SECBUFFER_TOKEN }]);
  const attrs: [number] = [0];
  const status = await asyncCall(lib.init, [
    state.cred,
    state.started ? state.ctx : null,
    state.spn,
    REQ_FLAGS,
    0,
    SECURITY_NATIVE_DREP,
    input.desc,
    0,
    state.ctx,
    output.desc,
    attrs,
    null,
  ]);
  const { length, pointer } = output.read(0);
  const token = copy(lib.koffi, pointer, length);
  if (pointer !== null) lib.freeBuffer(pointer);
  if (status !== SEC_E_OK && status !== SEC_I_CONTINUE_NEEDED)
    throw sspiFailure(`a Kerberos ticket for ${state.spn}`, status);
  const complete = status === SEC_E_OK;
  if (complete && (attrs[0] & REQUIRED_RET) !== REQUIRED_RET)
    throw new GssFailure(
      'other',
      `the Kerberos context with ${state.spn} lacks mutual authentication or integrity (attributes 0x${attrs[0].toString(16)})`,
    );
  return { token, complete };
}

/** DecryptMessage on a signed-only message: the SECBUFFER_DATA result points into the stream. */
function unwrap(lib: Sspi, scratch: Scratch, ctx: Pointer, message: Uint8Array): Uint8Array {
  const desc = scratch.descriptor([{ type: SECBUFFER_STREAM, bytes: message }, { type: SECBUFFER_DATA }]);
  const qop: [number] = [0];
  const status = lib.decrypt(ctx, desc.desc, 0, qop);
  if (status !== SEC_E_OK) throw sspiFailure("the server's security-layer message", status);
  // RFC 4752 3.1: the server wraps without confidentiality; go-ldap refuses anything else too.
  if ((qop[0] & KERB_WRAP_NO_ENCRYPT) >>> 0 !== KERB_WRAP_NO_ENCRYPT)
    throw new GssFailure('other', "the server's security-layer message was encrypted, not only signed");
  const { length, pointer } = desc.read(1);
  return copy(lib.koffi, pointer, length);
}

/** EncryptMessage, signing only: the trailer (the token), the data and the padding, joined. */
function wrap(lib: Sspi, scratch: Scratch, ctx: Pointer, message: Uint8Array): Uint8Array {
  const { koffi } = lib;
  const sizes = scratch.alloc('SecPkgContext_Sizes', 1);
  const queried = lib.query(ctx, SECPKG_ATTR_SIZES, sizes);
  if (queried !== SEC_E_OK) throw sspiFailure('the security context sizes', queried);
  const field = (name: string): number =>
    uint32(koffi.decode(sizes, koffi.offsetof('SecPkgContext_Sizes', name), 'uint32_t'));
  const desc = scratch.descriptor([
    { type: SECBUFFER_TOKEN, size: field('cbSecurityTrailer') },
    { type: SECBUFFER_DATA, bytes: message },
    { type: SECBUFFER_PADDING, size: field('cbBlockSize') },
  ]);
  const status = lib.encrypt(ctx, KERB_WRAP_NO_ENCRYPT, desc.desc, 0);
  if (status !== SEC_E_OK) throw sspiFailure('the security-layer choice', status);
  const parts = [0, 1, 2].map((index) => {
    const { length, pointer } = desc.read(index);
    return copy(koffi, pointer, length);
  });
  return Buffer.concat(parts);
}

/** Windows SSPI's Kerberos package. */
export const sspiProvider: GssProvider = {
  name: 'Windows SSPI',
  async start(request: GssRequest): Promise<GssSession> {
    refuseMitSettings(request);
    const lib = await sspi();
    const handles = new Scratch(lib.koffi);
    try {
      const cred = await acquire(lib, handles);
      return session(lib, handles, cred, request);
    } catch (error) {
      handles.free();
      throw error;
    }
  },
};
