import type { SourceDescriptor } from '../descriptor.js';
import { DIRECTORY_FLAVORS, type SourceSettings } from '../types.js';
import { LdapModelSource } from './model-source.js';
import { MODEL_KEYS, modelIssues } from './model.js';
import { SERVER_KEYS, serverIssues, serverSettings, type LdapServerSettings } from './settings.js';
import { directoryOptions } from './options.js';
import { LdapDirectory } from './source.js';
import { SERVER_STARTERS } from './starter.js';

const KINDS: readonly string[] = DIRECTORY_FLAVORS;

/** A directory server read over LDAP: `kind: ad` (Active Directory) or `kind: ldap`. */
export const ldapSource: SourceDescriptor<LdapServerSettings> = {
  kinds: KINDS,
  what: 'a directory server',
  summary: 'a directory server, and the default user filter and attribute mapping',
  reads: 'reads the server at directory.url',
  keys: { ...SERVER_KEYS, ...MODEL_KEYS },
  owns: (settings: SourceSettings): settings is LdapServerSettings => KINDS.includes(settings.kind),
  settings: serverSettings,
  issues: (context) => [...serverIssues(context), ...modelIssues(context)],
  create: (settings, endpoint) =>
    new LdapModelSource(
      new LdapDirectory(directoryOptions(settings, endpoint === undefined ? settings.urls : [endpoint])),
      settings,
      false,
    ),
  endpoints: (settings) => settings.urls,
  starters: SERVER_STARTERS,
};
