import { expect } from 'vitest';

/**
 * Check that every element opened in `xml` is closed, in order: well-formed in the shape
 * schtasks parses (the task XML has no CDATA or processing instructions past the declaration,
 * and its one comment, naming the variables the task needs, holds no `<`).
 * @param xml the document's text
 */
export function expectBalancedXml(xml: string): void {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') expect(stack.pop()).toBe(m[2]);
    else stack.push(m[2] ?? '');
  }
  expect(stack).toEqual([]);
}
