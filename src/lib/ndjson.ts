/**
 * Newline-delimited JSON: one `JSON.stringify(value) + '\n'` per value. The runner host writes
 * run events this way; read-events.ts reads them.
 */

export const encodeNdjson = (value: unknown) => `${JSON.stringify(value)}\n`
