import { isSea } from 'node:sea';

import type * as Koffi from 'koffi';

import { GssFailure } from './gss.js';

let module_: typeof Koffi | undefined;

/**
 * koffi, loaded on first use: only `auth: gssapi` needs it, so `--version`, simple binds and
 * machines where its native part cannot load never touch it.
 */
export async function koffiModule(): Promise<typeof Koffi> {
  if (module_) return module_;
  // A single executable's require() loads built-in modules only, so koffi's native part (a
  // .node file) cannot load there; the npm package can.
  if (isSea())
    throw new GssFailure(
      'no-library',
      'the single-file executable cannot load the native module auth: gssapi needs (koffi)',
    );
  try {
    const imported = await import('koffi');
    module_ = imported;
    return module_;
  } catch (error) {
    throw new GssFailure(
      'no-library',
      `the FFI module koffi could not be loaded (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/**
 * Run a foreign function on koffi's worker thread and resolve with its result: Kerberos calls may
 * wait for a KDC, and the event loop must not wait with them.
 * @param f a function declared with koffi (its `async` form is used)
 * @param args its arguments
 */
export function asyncCall(f: { async: (...args: never[]) => void }, args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, result: number): void => {
      if (error === null || error === undefined) resolve(result);
      else reject(error instanceof Error ? error : new Error('a foreign call failed'));
    };
    (f.async as (...all: unknown[]) => void)(...args, done);
  });
}
