/**
 * Newline-delimited JSON over web streams: one `JSON.stringify(value) + '\n'` per value. The
 * runner host writes run events this way and the remote runner reads them.
 */

export const encodeNdjson = (value: unknown) => `${JSON.stringify(value)}\n`

export async function* readNdjson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (;;) {
      const { value, done } = await reader.read()
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true })
      let cut = buffer.indexOf('\n')
      while (cut !== -1) {
        const line = buffer.slice(0, cut).trim()
        buffer = buffer.slice(cut + 1)
        if (line) yield JSON.parse(line)
        cut = buffer.indexOf('\n')
      }
      if (done) {
        if (buffer.trim()) yield JSON.parse(buffer)
        return
      }
    }
  } finally {
    // Stops the download when the consumer stops early.
    await reader.cancel().catch(() => {})
  }
}
