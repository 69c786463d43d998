import type { GssProvider } from './gss.js';

/**
 * This system's GSS-API implementation, loaded on first use: Windows SSPI on Windows, MIT
 * Kerberos elsewhere. Neither is loaded unless `auth: gssapi` is configured.
 */
export async function gssProvider(): Promise<GssProvider> {
  if (process.platform === 'win32') return (await import('./gss-sspi.js')).sspiProvider;
  return (await import('./gss-mit.js')).mitProvider;
}
