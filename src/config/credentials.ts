import { resolve } from 'node:path';

/**
 * `${credential:NAME}`: a secret the service manager holds. systemd (LoadCredential=,
 * LoadCredentialEncrypted=) decrypts each credential of a unit into a private folder when the
 * service starts and names that folder in CREDENTIALS_DIRECTORY; the reference reads the file
 * NAME there, as `${file:}` reads its file (see secrets.ts, which resolves every reference).
 */

/** The variable systemd sets for a service with credentials. */
export const CREDENTIALS_VARIABLE = 'CREDENTIALS_DIRECTORY';

/**
 * Why a `${credential:}` name is refused, or undefined for a plain file name. The name is joined
 * to the credentials folder and written into unit lines (`LoadCredentialEncrypted=NAME:PATH`):
 * a path separator or `..` would read outside the folder, a `:` would split the unit line.
 * @param name the NAME of the reference
 */
export function credentialNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (/[/\\]/.test(name)) return 'the name contains a path separator (/ or \\)';
  if (name.includes('..') || name === '.') return 'the name contains ".." or is "."';
  if (name.includes(':')) return 'the name contains ":" (it ends the name in LoadCredential=NAME:PATH)';
  // eslint-disable-next-line no-control-regex -- control characters are what is looked for
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name contains a control character';
  if (Buffer.byteLength(name) > 255) return 'the name is longer than a file name may be (255 bytes)';
  return undefined;
}

/**
 * The file a `${credential:NAME}` reads, or undefined when no service manager gave the process a
 * credentials folder (CREDENTIALS_DIRECTORY unset or empty).
 * @param name a name {@link credentialNameProblem} accepts
 * @param env the environment adsync runs in
 */
export function credentialFile(
  name: string,
  env: NodeJS.ProcessEnv,
): { dir: string; file: string } | undefined {
  const dir = env[CREDENTIALS_VARIABLE];
  if (dir === undefined || dir === '') return undefined;
  return { dir, file: resolve(dir, name) };
}

/** What to do when a `${credential:}` is read outside a service that has credentials. */
export const NO_CREDENTIALS_HINT = `\${credential:NAME} reads $${CREDENTIALS_VARIABLE}/NAME, which only a service manager that sets ${CREDENTIALS_VARIABLE} provides (systemd 250+, with LoadCredential= or LoadCredentialEncrypted= in the unit; see docs/operations.md). For a manual run, point it at a folder holding one file per NAME (CREDENTIALS_DIRECTORY=/path adsync …), or use \${file:PATH}.`;

/** What to check when the credentials folder lacks a credential. */
export const MISSING_CREDENTIAL_HINT =
  'Check that the unit loads each credential (LoadCredentialEncrypted=NAME:PATH, as `adsync schedule install --platform systemd` writes it) and that its encrypted file exists; `systemd-creds list` inside the service shows what it got.';
