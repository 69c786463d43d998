import { resolve } from 'node:path';

import { z } from 'zod';

import type { DirectoryInput, SourceDescriptor } from '../descriptor.js';
import { LdapModelSource } from '../ldap/model-source.js';
import { MODEL_KEYS, modelIssues, modelSettings, type LdapModelSettings } from '../ldap/model.js';
import { DIRECTORY_FLAVORS, type SourceSettings } from '../types.js';
import { LdifDirectory, ldifUrl } from './source.js';

/** The settings of an LDIF export read instead of a server (`kind: ldif`). */
export interface LdifSettings extends LdapModelSettings {
  readonly kind: 'ldif';
  /** The LDIF file (absolute). */
  file: string;
  /** The directory `attribute:< file://…` values may be read from (absolute); none: refused. */
  valueFiles: string | undefined;
}

/** An LDIF source's own keys of `directory:`. */
const FILE_KEYS = {
  file: z
    .string()
    .min(1)
    .optional()
    .describe(
      'kind: ldif only: the LDIF file to read (ldifde -f or ldapsearch -LLL output), relative to the config file.',
    ),
  valueFiles: z
    .string()
    .min(1)
    .optional()
    .describe(
      'kind: ldif only: a directory whose files "attribute:< file://…" lines may read (ldapsearch -t writes values there), relative to the config file. Without it such lines are refused: an LDIF file must not pull other files into the export.',
    ),
  flavor: z
    .enum(DIRECTORY_FLAVORS)
    .optional()
    .describe(
      'kind: ldif only: what the file was exported from; picks the default user filter and mapping like kind (default ldap).',
    ),
};

const fileInput = z.object(FILE_KEYS);

/**
 * An LDIF file's resolved settings: the defaults of the directory it was exported from (its
 * flavor), the paths resolved against the config file.
 * @param input the `directory:` section (schema-valid, kind ldif)
 * @param baseDir the config file's directory
 */
function fileSettings(input: DirectoryInput, baseDir: string): LdifSettings {
  const d = fileInput.parse(input);
  // Without a file the config is refused (see issues) before anything reads it.
  const file = resolve(baseDir, d.file ?? '');
  const valueFiles = d.valueFiles === undefined ? undefined : resolve(baseDir, d.valueFiles);
  return {
    kind: 'ldif',
    ...modelSettings(input, d.flavor ?? 'ldap'),
    file,
    valueFiles,
    secrets: [],
    files: [
      { path: file, what: 'the LDIF file the directory is read from' },
      ...(valueFiles === undefined
        ? []
        : [{ path: valueFiles, what: 'the directory LDIF values are read from', inside: true }]),
    ],
  };
}

/** An LDIF export (ldifde, ldapsearch -LLL) read instead of a server, with a server's semantics. */
export const ldifSource: SourceDescriptor<LdifSettings> = {
  kinds: ['ldif'],
  what: 'an LDIF export',
  summary: 'read an LDIF export (directory.file) instead of a server',
  reads: 'reads directory.file',
  keys: { ...FILE_KEYS, ...MODEL_KEYS },
  owns: (settings: SourceSettings): settings is LdifSettings => settings.kind === 'ldif',
  settings: fileSettings,
  issues: (context) => [
    ...(context.input.file === undefined
      ? [
          {
            path: ['directory', 'file'],
            message: 'is required with kind: ldif (the LDIF export to read, relative to this config file)',
          },
        ]
      : []),
    ...modelIssues(context),
  ],
  create: (settings) =>
    new LdapModelSource(
      new LdifDirectory({ file: settings.file, valueFiles: settings.valueFiles }),
      settings,
      true,
    ),
  endpoints: (settings) => [ldifUrl(settings.file)],
  starters: {},
};
