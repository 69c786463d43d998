import type * as Koffi from 'koffi';

import { GssFailure } from './gss.js';

let module_: typeof Koffi | undefined;

/**
 * koffi, loaded on first use: only `auth: gssapi` needs it, so `--version`, simple binds and
 * machines where its native part cannot load never touch it.
 */
export async function koffiModule(): Promise<typeof Koffi> {
  if (module_) return module_;
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
