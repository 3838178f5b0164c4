/**
 * Reads a `text/event-stream` body into its `data:` payloads (comments and other fields are
 * skipped). Web streams only, so it runs anywhere `fetch` does.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      buffer = buffer.replace(/\r\n?/g, '\n')
      let cut = buffer.indexOf('\n\n')
      while (cut !== -1) {
        const data = buffer
          .slice(0, cut)
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        if (data.length > 0) yield data.join('\n')
        buffer = buffer.slice(cut + 2)
        cut = buffer.indexOf('\n\n')
      }
      if (done) return
    }
  } finally {
    // Stops the download when the consumer stops early.
    await reader.cancel().catch(() => {})
  }
}
