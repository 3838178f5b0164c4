/**
 * Reads a `text/event-stream` body into its `data:` payloads (comments and other fields are
 * skipped).
 */
import { splitStream } from './stream-split.js'

export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const block of splitStream(body, '\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    if (data.length > 0) yield data.join('\n')
  }
}
