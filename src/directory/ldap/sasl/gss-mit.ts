/**
 * The GSS-API provider for Linux and macOS: MIT Kerberos's `libgssapi_krb5`, called through
 * koffi. Credentials are found as for any MIT client (KRB5_CONFIG, KRB5CCNAME,
 * KRB5_CLIENT_KTNAME), or from `kerberos.keytab` into a private in-memory ticket cache.
 */
import { randomUUID } from 'node:crypto';

import type { KoffiFunc, LibraryHandle } from 'koffi';

import {
  GssFailure,
  type GssFailureKind,
  type GssProvider,
  type GssRequest,
  type GssSession,
} from './gss.js';
import { asyncCall, koffiModule } from './koffi.js';

/** A gss_buffer_desc as koffi reads and writes it. */
interface Buffer_ {
  length: number | bigint;
  value: unknown;
}

type Minor = [number];
type Handle = [unknown];

/** RFC 2744 status bits: the routine error and calling error fields of a major status. */
const GSS_S_CONTINUE_NEEDED = 1;
const isError = (major: number): boolean => (major & 0xffff0000) !== 0;

/** Flags: mutual authentication, and integrity for the security-layer message (RFC 4752 3.1). */
const REQ_FLAGS = 2 | 8 | 32;
/** OIDs (DER contents): the Kerberos 5 mechanism and its principal name type. */
const KRB5_MECH = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]);
const KRB5_NT_PRINCIPAL = Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01]);

/** Where the library is on each system (macOS: Homebrew's krb5; the system GSS framework is Heimdal's). */
const LIBRARY_NAMES: Record<string, string[]> = {
  darwin: [
    '/opt/homebrew/opt/krb5/lib/libgssapi_krb5.2.2.dylib',
    '/usr/local/opt/krb5/lib/libgssapi_krb5.2.2.dylib',
    'libgssapi_krb5.2.2.dylib',
  ],
};
const DEFAULT_NAMES = ['libgssapi_krb5.so.2', 'libgssapi_krb5.so'];

/** The functions used, typed. */
interface Mit {
  importName: KoffiFunc<(minor: Minor, name: Buffer_, type: object, out: Handle) => number>;
  acquireFrom: KoffiFunc<
    (
      minor: Minor,
      name: unknown,
      time: number,
      mechs: null,
      usage: number,
      store: object | null,
      out: Handle,
      actual: null,
      rec: null,
    ) => number
  >;
  initSec: KoffiFunc<
    (
      minor: Minor,
      cred: unknown,
      ctx: Handle,
      target: unknown,
      mech: object,
      flags: number,
      time: number,
      bindings: object,
      input: Buffer_ | null,
      actualMech: null,
      output: Buffer_,
      retFlags: [number],
      timeRec: null,
    ) => number
  >;
  wrap: KoffiFunc<
    (
      minor: Minor,
      ctx: unknown,
      conf: number,
      qop: number,
      input: Buffer_,
      state: [number],
      out: Buffer_,
    ) => number
  >;
  unwrap: KoffiFunc<
    (minor: Minor, ctx: unknown, input: Buffer_, out: Buffer_, conf: [number], qop: [number]) => number
  >;
  releaseBuffer: KoffiFunc<(minor: Minor, buffer: Buffer_) => number>;
  releaseName: KoffiFunc<(minor: Minor, name: Handle) => number>;
  releaseCred: KoffiFunc<(minor: Minor, cred: Handle) => number>;
  deleteContext: KoffiFunc<(minor: Minor, ctx: Handle, out: null) => number>;
  inquireContext: KoffiFunc<
    (
      minor: Minor,
      ctx: unknown,
      src: Handle,
      targ: null,
      life: null,
      mech: null,
      flags: null,
      local: null,
      open: null,
    ) => number
  >;
  displayName: KoffiFunc<(minor: Minor, name: unknown, out: Buffer_, type: null) => number>;
  displayStatus: KoffiFunc<
    (minor: Minor, status: number, type: number, mech: null, more: [number], out: Buffer_) => number
  >;
  view: (pointer: unknown, length: number) => ArrayBuffer;
}

let loaded: Mit | undefined;

/** Load the library and declare the functions (once per thread). */
async function mit(): Promise<Mit> {
  if (loaded) return loaded;
  const koffi = await koffiModule();
  let lib: LibraryHandle | undefined;
  const tried: string[] = [];
  for (const name of LIBRARY_NAMES[process.platform] ?? DEFAULT_NAMES) {
    try {
      lib = koffi.load(name);
      break;
    } catch (error) {
      tried.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!lib)
    throw new GssFailure(
      'no-library',
      `MIT Kerberos (libgssapi_krb5) could not be loaded (${tried.join('; ')})`,
    );
  koffi.struct('gss_buffer_desc', { length: 'size_t', value: 'void *' });
  koffi.struct('gss_OID_desc', { length: 'uint32_t', elements: 'void *' });
  koffi.struct('gss_key_value_element_desc', { key: 'const char *', value: 'const char *' });
  koffi.struct('gss_key_value_set_desc', { count: 'uint32_t', elements: 'gss_key_value_element_desc *' });
  koffi.struct('gss_channel_bindings_struct', {
    initiator_addrtype: 'uint32_t',
    initiator_address: 'gss_buffer_desc',
    acceptor_addrtype: 'uint32_t',
    acceptor_address: 'gss_buffer_desc',
    application_data: 'gss_buffer_desc',
  });
  // A cast at the FFI boundary: koffi types every foreign function as `any`; the declarations
  // below are the C prototypes of RFC 2744 and MIT's gssapi_ext.h.
  const fn = <T extends (...args: never[]) => unknown>(decl: string): KoffiFunc<T> =>
    lib.func(decl) as KoffiFunc<T>;
  loaded = {
    importName: fn(
      'uint32_t gss_import_name(_Out_ uint32_t *minor, gss_buffer_desc *name, gss_OID_desc *type, _Out_ void **out)',
    ),
    acquireFrom: fn(
      'uint32_t gss_acquire_cred_from(_Out_ uint32_t *minor, void *name, uint32_t time, void *mechs, int usage, gss_key_value_set_desc *store, _Out_ void **out, void *actual, void *rec)',
    ),
    initSec: fn(
      'uint32_t gss_init_sec_context(_Out_ uint32_t *minor, void *cred, _Inout_ void **ctx, void *target, gss_OID_desc *mech, uint32_t flags, uint32_t time, gss_channel_bindings_struct *bindings, gss_buffer_desc *input, void *actual, _Out_ gss_buffer_desc *output, _Out_ uint32_t *retFlags, void *timeRec)',
    ),
    wrap: fn(
      'uint32_t gss_wrap(_Out_ uint32_t *minor, void *ctx, int conf, uint32_t qop, gss_buffer_desc *input, _Out_ int *state, _Out_ gss_buffer_desc *out)',
    ),
    unwrap: fn(
      'uint32_t gss_unwrap(_Out_ uint32_t *minor, void *ctx, gss_buffer_desc *input, _Out_ gss_buffer_desc *out, _Out_ int *conf, _Out_ uint32_t *qop)',
    ),
    releaseBuffer: fn('uint32_t gss_release_buffer(_Out_ uint32_t *minor, _Inout_ gss_buffer_desc *buffer)'),
    releaseName: fn('uint32_t gss_release_name(_Out_ uint32_t *minor, _Inout_ void **name)'),
    releaseCred: fn('uint32_t gss_release_cred(_Out_ uint32_t *minor, _Inout_ void **cred)'),
    deleteContext: fn(
      'uint32_t gss_delete_sec_context(_Out_ uint32_t *minor, _Inout_ void **ctx, void *out)',
    ),
    inquireContext: fn(
      'uint32_t gss_inquire_context(_Out_ uint32_t *minor, void *ctx, _Out_ void **src, void *targ, void *life, void *mech, void *flags, void *local, void *open)',
    ),
    displayName: fn(
      'uint32_t gss_display_name(_Out_ uint32_t *minor, void *name, _Out_ gss_buffer_desc *out, void *type)',
    ),
    displayStatus: fn(
      'uint32_t gss_display_status(_Out_ uint32_t *minor, uint32_t status, int type, void *mech, _Inout_ uint32_t *more, _Out_ gss_buffer_desc *out)',
    ),
    view: (pointer, length) => koffi.view(pointer, length),
  };
  return loaded;
}

/** Copy a library-owned buffer out and free it. */
function take(lib: Mit, buffer: Buffer_): Uint8Array {
  const length = Number(buffer.length);
  const bytes = length === 0 ? new Uint8Array(0) : new Uint8Array(lib.view(buffer.value, length).slice(0));
  lib.releaseBuffer([0], buffer);
  return bytes;
}

/** The library's text for a status (major: type 1, minor: type 2), all messages joined. */
function statusText(lib: Mit, status: number, type: number): string {
  const parts: string[] = [];
  const more: [number] = [0];
  do {
    const out: Buffer_ = { length: 0, value: null };
    if (isError(lib.displayStatus([0], status, type, null, more, out))) break;
    parts.push(Buffer.from(take(lib, out)).toString('utf8'));
  } while (more[0] !== 0 && parts.length < 8);
  return parts.filter(Boolean).join('; ');
}

/**
 * What a failure means. MIT's mechglue renumbers minor codes, so the (stable, English) text of
 * the krb5 error is what is classified; the text is shown besides, whatever the kind.
 */
export function classifyMit(text: string): GssFailureKind {
  const rules: [RegExp, GssFailureKind][] = [
    [/clock skew/i, 'clock-skew'],
    // Before 'expired': "Password has expired" is the account's, not a ticket's, and a keytab does
    // not help (KDC_ERR_KEY_EXPIRED, KDC_ERR_NAME_EXP, KDC_ERR_CLIENT_REVOKED).
    [/password has expired|entry in database has expired|credentials have been revoked/i, 'account'],
    [/ticket expired|credentials have expired|expired/i, 'expired'],
    [/server .*not found in kerberos database|server not found/i, 'unknown-service'],
    [/client .*not found in kerberos database/i, 'unknown-client'],
    [/cannot contact any kdc|cannot find kdc|unable to reach any kdc/i, 'kdc-unreachable'],
    [/preauthentication failed|password incorrect|decrypt integrity check failed/i, 'bad-key'],
    [
      /no credentials|no kerberos credentials|credentials cache .*not found|no such file|key table .*not found|not found in keytab|no key table entry/i,
      'no-credentials',
    ],
  ];
  return rules.find(([pattern]) => pattern.test(text))?.[1] ?? 'other';
}

function check(lib: Mit, what: string, major: number, minor: Minor): void {
  if (!isError(major)) return;
  const text = [statusText(lib, major, 1), statusText(lib, minor[0], 2)].filter(Boolean).join(': ');
  throw new GssFailure(classifyMit(text), `${what}: ${text || `major status 0x${major.toString(16)}`}`);
}

const oid = (elements: Buffer): object => ({ length: elements.length, elements });
const buffer = (bytes: Uint8Array): Buffer_ => ({ length: bytes.length, value: bytes.length ? bytes : null });

/** A name of Kerberos principal form (`service/host`, `user@REALM`): never canonicalised. */
function importName(lib: Mit, name: string): unknown {
  const minor: Minor = [0];
  const out: Handle = [null];
  check(
    lib,
    `the name ${name}`,
    lib.importName(minor, buffer(Buffer.from(name, 'utf8')), oid(KRB5_NT_PRINCIPAL), out),
    minor,
  );
  return out[0];
}

/** Credentials from the configured keytab (into a private ticket cache) or the environment's. */
async function acquire(lib: Mit, request: GssRequest): Promise<unknown> {
  if (request.keytab === undefined && request.principal === undefined) return null;
  const name = request.principal === undefined ? null : importName(lib, request.principal);
  try {
    const elements =
      request.keytab === undefined
        ? []
        : [
            { key: 'client_keytab', value: request.keytab },
            // Tickets got from the keytab stay in this process: nothing written, nothing shared.
            { key: 'ccache', value: `MEMORY:adsync-${randomUUID()}` },
          ];
    const store = elements.length === 0 ? null : { count: elements.length, elements };
    const minor: Minor = [0];
    const out: Handle = [null];
    const major = await asyncCall(lib.acquireFrom, [
      minor,
      name,
      0xffffffff,
      null,
      1,
      store,
      out,
      null,
      null,
    ]);
    check(lib, 'acquiring Kerberos credentials', major, minor);
    return out[0];
  } finally {
    if (name !== null) lib.releaseName([0], [name]);
  }
}

/** MIT Kerberos through libgssapi_krb5. */
export const mitProvider: GssProvider = {
  name: 'MIT Kerberos',
  async start(request: GssRequest): Promise<GssSession> {
    const lib = await mit();
    const cred = await acquire(lib, request);
    const target = importName(lib, request.spn);
    const ctx: Handle = [null];
    const bindings = {
      initiator_addrtype: 0,
      initiator_address: buffer(new Uint8Array(0)),
      acceptor_addrtype: 0,
      acceptor_address: buffer(new Uint8Array(0)),
      application_data: buffer(request.channelBinding),
    };
    return {
      async step(input) {
        const minor: Minor = [0];
        const output: Buffer_ = { length: 0, value: null };
        const args = [
          minor,
          cred,
          ctx,
          target,
          oid(KRB5_MECH),
          REQ_FLAGS,
          0,
          bindings,
          input ? buffer(input) : null,
          null,
          output,
          [0],
          null,
        ];
        const major = await asyncCall(lib.initSec, args);
        const token = take(lib, output);
        check(lib, `a Kerberos ticket for ${request.spn}`, major, minor);
        return { token, complete: (major & GSS_S_CONTINUE_NEEDED) === 0 };
      },
      unwrap(message) {
        const minor: Minor = [0];
        const out: Buffer_ = { length: 0, value: null };
        const major = lib.unwrap(minor, ctx[0], buffer(message), out, [0], [0]);
        const bytes = take(lib, out);
        check(lib, "the server's security-layer message", major, minor);
        return bytes;
      },
      wrap(message) {
        const minor: Minor = [0];
        const out: Buffer_ = { length: 0, value: null };
        const major = lib.wrap(minor, ctx[0], 0, 0, buffer(message), [0], out);
        const bytes = take(lib, out);
        check(lib, 'the security-layer choice', major, minor);
        return bytes;
      },
      principal() {
        const name: Handle = [null];
        if (isError(lib.inquireContext([0], ctx[0], name, null, null, null, null, null, null)))
          return undefined;
        try {
          const out: Buffer_ = { length: 0, value: null };
          if (isError(lib.displayName([0], name[0], out, null))) return undefined;
          return Buffer.from(take(lib, out)).toString('utf8');
        } finally {
          lib.releaseName([0], name);
        }
      },
      close() {
        if (ctx[0] !== null) lib.deleteContext([0], ctx, null);
        lib.releaseName([0], [target]);
        if (cred !== null) lib.releaseCred([0], [cred]);
      },
    };
  },
};
