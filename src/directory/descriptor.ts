import type { z } from 'zod';

import type { DirectorySource, LocationConfig, SourceIssue, SourceSettings } from './types.js';

/**
 * What one kind of directory source tells the rest of adsync about itself: its `directory:`
 * keys, how they resolve and what rules they follow, the source it creates, and the secrets and
 * files its settings hold. Each source folder (ldap/, ldif/) exports one; source.ts lists them.
 */

/** The `directory:` section as the schema read it: `kind` and any source's keys. */
export type DirectoryInput = { kind: string } & Record<string, unknown>;

/** What a rule of a source sees. */
export interface SourceRuleContext<S extends SourceSettings> {
  /** The `directory:` section as written (schema-valid). */
  input: DirectoryInput;
  /** The resolved settings. */
  settings: S;
  /** The `locations:` entries as written (only their `nested` key is asked about). */
  locationsInput: readonly { nested?: boolean | undefined }[];
  /** The resolved location entries. */
  locations: readonly LocationConfig[];
}

/** One kind of directory source, with its settings type `S`. */
export interface SourceDescriptor<S extends SourceSettings> {
  /** The `directory.kind` values it reads. */
  kinds: readonly string[];
  /** What it reads, for messages ("a directory server"). */
  what: string;
  /** What `directory.kind` set to one of its kinds means, for the schema's description. */
  summary: string;
  /** Where it reads from, for messages ("reads the server at directory.url"). */
  reads: string;
  /** Its `directory:` keys besides `kind`, each with its schema and description. */
  keys: Record<string, z.ZodType>;
  /** Whether resolved settings are its own. */
  owns(settings: SourceSettings): settings is S;
  /**
   * Resolve its keys: defaults applied, paths resolved against the config file's directory.
   * @param input the `directory:` section (schema-valid, of one of its kinds)
   * @param baseDir the config file's directory
   */
  settings(input: DirectoryInput, baseDir: string): S;
  /**
   * The rules its settings and the locations' selections follow (stage 3 of validation).
   * @param context the section as written and resolved, and the locations
   */
  issues(context: SourceRuleContext<S>): SourceIssue[];
  /**
   * The source to read.
   * @param settings its resolved settings
   * @param endpoint only this one of its endpoints (`adsync check` tries each on its own)
   */
  create(settings: S, endpoint?: string): DirectorySource;
  /** What `adsync check` tries one by one: server URLs, or the file. */
  endpoints(settings: S): string[];
  /** The `directory:` and `locations:` sections of `adsync init`'s starter config, per kind it has one for. */
  starters: Readonly<Record<string, { directory: string; locations: string }>>;
}
