import type { z } from 'zod';

import type { DirectoryInput, SourceDescriptor, SourceRuleContext } from './descriptor.js';
import { ldapSource } from './ldap/descriptor.js';
import { ldifSource } from './ldif/descriptor.js';
import type { DirectorySource, SourceIssue, SourceSettings } from './types.js';

/**
 * Where the kinds of directory source are created: one line per source folder. Everything else
 * asks through the functions below, never about a kind by name.
 */
const SOURCES = [registered(ldapSource), registered(ldifSource)] as const;

/** The resolved `directory:` settings: one variant per kind of source. */
export type DirectorySettings = ReturnType<(typeof SOURCES)[number]['settings']>;

/** A descriptor whose per-settings functions take any source's settings (checked to be its own). */
function registered<S extends SourceSettings>(source: SourceDescriptor<S>) {
  const own = (settings: SourceSettings): S => {
    if (source.owns(settings)) return settings;
    throw new Error(`settings of kind ${settings.kind} given to the ${source.kinds.join('/')} source`);
  };
  return {
    ...source,
    settings: (input: DirectoryInput, baseDir: string): S => source.settings(input, baseDir),
    issues: (context: SourceRuleContext<SourceSettings>): SourceIssue[] =>
      source.issues({ ...context, settings: own(context.settings) }),
    create: (settings: SourceSettings, endpoint?: string): DirectorySource =>
      source.create(own(settings), endpoint),
    endpoints: (settings: SourceSettings): string[] => source.endpoints(own(settings)),
  };
}

/** The source of a kind (`directory.kind` as written). */
function sourceOf(kind: string): (typeof SOURCES)[number] {
  const found = SOURCES.find((s) => s.kinds.includes(kind));
  if (!found) throw new Error(`no directory source reads kind ${kind}`);
  return found;
}

/** Every `directory.kind`, for the config schema. */
export function sourceKinds(): [string, ...string[]] {
  const [first = '', ...rest] = SOURCES.flatMap((s) => s.kinds);
  return [first, ...rest];
}

/** Every source's `directory:` keys (one schema: a key of another kind is refused by a rule, with why). */
export function sourceKeys(): Record<string, z.ZodType> {
  return SOURCES.reduce<Record<string, z.ZodType>>((all, s) => ({ ...all, ...s.keys }), {});
}

/** What each kind reads, for the schema's description of `directory.kind`. */
export function describeKinds(): string {
  return `${SOURCES.map((s) => `${s.kinds.join(' | ')}: ${s.summary}`).join('; ')}.`;
}

/**
 * The resolved settings of a `directory:` section.
 * @param input the section (schema-valid)
 * @param baseDir the config file's directory
 */
export function resolveDirectory(input: DirectoryInput, baseDir: string): DirectorySettings {
  return sourceOf(input.kind).settings(input, baseDir);
}

/**
 * The rules of the `directory:` section and the locations' selections: no key of another kind
 * of source, and the kind's own rules.
 * @param context the section as written and resolved, and the locations
 */
export function directoryIssues(context: SourceRuleContext<SourceSettings>): SourceIssue[] {
  const source = sourceOf(context.settings.kind);
  const foreign = Object.keys(context.input).flatMap((key): SourceIssue[] => {
    if (key === 'kind' || key in source.keys || context.input[key] === undefined) return [];
    const owner = SOURCES.find((s) => key in s.keys);
    const kinds = owner ? ` (kind: ${owner.kinds.join(' or ')})` : '';
    return [
      {
        path: ['directory', key],
        message: `is for ${owner?.what ?? 'another kind of source'}${kinds}, but kind: ${context.settings.kind} ${source.reads}: remove it`,
      },
    ];
  });
  return [...foreign, ...source.issues(context)];
}

/**
 * The source the settings describe.
 * @param settings the resolved directory settings
 * @param endpoint only this one of its endpoints (`adsync check` tries each on its own)
 */
export function createDirectorySource(settings: SourceSettings, endpoint?: string): DirectorySource {
  return sourceOf(settings.kind).create(settings, endpoint);
}

/**
 * What `adsync check` tries one by one (server URLs, or the file as a URL).
 * @param settings the resolved directory settings
 */
export function directoryEndpoints(settings: SourceSettings): string[] {
  return sourceOf(settings.kind).endpoints(settings);
}

/**
 * The `directory:` and `locations:` sections of `adsync init`'s starter config.
 * @param kind the `directory.kind` to write
 */
export function starterSections(kind: string): { directory: string; locations: string } {
  const sections = sourceOf(kind).starters[kind];
  if (!sections) throw new Error(`no starter config for kind ${kind}`);
  return sections;
}
