/**
 * Splits a byte stream into text records at a separator (`\n` for NDJSON, a blank line for
 * Server-Sent Events). Web streams only; stopping early cancels the download.
 */
export async function* splitStream(
  body: ReadableStream<Uint8Array>,
  separator: string
): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      buffer = buffer.replace(/\r\n?/g, '\n')
      let cut = buffer.indexOf(separator)
      while (cut !== -1) {
        yield buffer.slice(0, cut)
        buffer = buffer.slice(cut + separator.length)
        cut = buffer.indexOf(separator)
      }
      if (done) {
        if (buffer.trim()) yield buffer
        return
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
