/**
 * JSON as Go's encoding/json writes it, for bytes that get hashed (configs, manifests): compact,
 * keys in the object's own order, and <, >, &, U+2028, U+2029 escaped as \u003c and so on.
 */
export function goMarshal(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** An object with its keys sorted, as Go marshals a map. */
export function sortedKeys<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out as T;
}
