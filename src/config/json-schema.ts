import { z } from 'zod';

import { configSchema } from './schema.js';

/** A JSON Schema document (loosely typed: it is data for editors). */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema for adsync config files, generated from the zod schema. The copy kept in the
 * repository (`schema/adsync.schema.json`) is checked against this by a test.
 */
export function buildJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return {
    ...schema,
    $id: 'https://adsync.dev/schema/adsync.schema.json',
    title: 'adsync configuration',
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Valid keys of the object found at a key path, for "did you mean" suggestions.
 * @param schema the JSON Schema
 * @param path key path to an object in the config
 */
export function keysAt(schema: JsonSchema, path: readonly (string | number)[]): string[] {
  let nodes: unknown[] = [schema];
  for (const seg of path) {
    const next: unknown[] = [];
    for (const node of expand(nodes)) {
      if (typeof seg === 'number' && isRecord(node.items)) next.push(node.items);
      if (typeof seg === 'string' && isRecord(node.properties) && seg in node.properties) {
        next.push(node.properties[seg]);
      }
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const node of expand(nodes))
    if (isRecord(node.properties)) for (const k of Object.keys(node.properties)) keys.add(k);
  return [...keys];
}

function expand(nodes: unknown[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (n: unknown): void => {
    if (!isRecord(n)) return;
    out.push(n);
    for (const k of ['anyOf', 'oneOf', 'allOf']) {
      const list = n[k];
      if (Array.isArray(list)) list.forEach(visit);
    }
  };
  nodes.forEach(visit);
  return out;
}
