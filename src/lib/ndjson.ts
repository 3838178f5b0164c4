/**
 * Newline-delimited JSON over web streams: one `JSON.stringify(value) + '\n'` per value. The
 * runner host writes run events this way and the remote runner reads them.
 */
import { splitStream } from './stream-split.js'

export const encodeNdjson = (value: unknown) => `${JSON.stringify(value)}\n`

export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  for await (const line of splitStream(body, '\n')) {
    if (line.trim()) yield JSON.parse(line)
  }
}
