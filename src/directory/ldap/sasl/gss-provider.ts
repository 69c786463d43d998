import type { GssProvider } from './gss.js';

/**
 * The GSS-API provider of this system: Windows SSPI on Windows, MIT Kerberos elsewhere. Each is
 * imported only when asked for, so neither (nor koffi) is loaded unless `auth: gssapi` is used,
 * and the other system's module never is.
 */
export async function gssProvider(): Promise<GssProvider> {
  if (process.platform === 'win32') return (await import('./gss-sspi.js')).sspiProvider;
  return (await import('./gss-mit.js')).mitProvider;
}
