/**
 * The keys a JSON text names more than once in its top-level object, as JSON.parse reads them
 * (escapes decoded: `"arch\u0069ved"` is `archived`). JSON.parse keeps the last of two equal
 * keys without a word, and another reader of the same answer (the vendor's own portal, a proxy)
 * may keep the first: such an answer says two things. Only for a text JSON.parse accepted; it
 * is no validator. Linear in the text.
 * @param text the JSON text
 */
export function repeatedTopLevelKeys(text: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      // A string is a key when a colon follows it; only the top-level object's keys count.
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next] ?? '')) next++;
      if (depth === 1 && text[next] === ':') {
        const key: unknown = JSON.parse(text.slice(i, end + 1));
        if (typeof key === 'string') {
          if (seen.has(key)) repeated.add(key);
          seen.add(key);
        }
      }
      i = end;
    }
  }
  return [...repeated];
}
