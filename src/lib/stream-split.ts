/**
 * Splits a byte stream into text records: lines (`\n`, NDJSON) or blocks of lines ended by a
 * blank one (`\n\n`, Server-Sent Events). Web streams only; stopping early cancels the download.
 * Linear in what it reads: each chunk is split once and a record's pieces are joined once, when
 * it ends (a record that arrives in many chunks is never rescanned), and a record longer than
 * `maxChars` is a protocol error, so a peer cannot make the reader hold or scan without end.
 */
import { CliProtocolError } from '../errors/index.js'

/** A record at most: a run's result line carries its whole answer (128k tokens ≈ 1 MB of JSON). */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024

export async function* splitStream(
  body: ReadableStream<Uint8Array>,
  separator: '\n' | '\n\n',
  maxChars = MAX_RECORD_CHARS
): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  /** The line being read, in pieces; the lines of the block being read (SSE). */
  let pieces: string[] = []
  let lines: string[] = []
  let size = 0
  /** A `\r` at a chunk's end, held until the next shows whether a `\n` follows it. */
  let carriage = false
  const grow = (n: number) => {
    size += n
    if (size > maxChars) {
      const mib = Math.round(maxChars / 1024 / 1024)
      throw new CliProtocolError(`The stream carried a record longer than ${mib} MiB`)
    }
  }
  /** Ends the line being read: a record by itself, or one line of the block. */
  const endLine = (): string | undefined => {
    const line = pieces.join('')
    pieces = []
    if (separator === '\n') {
      size = 0
      return line
    }
    if (line !== '') {
      lines.push(line)
      return undefined
    }
    const block = lines.join('\n')
    lines = []
    size = 0
    return block
  }
  try {
    for (;;) {
      const { value, done } = await reader.read()
      let text = done ? decoder.decode() : decoder.decode(value, { stream: true })
      if (carriage) text = `\r${text}`
      carriage = !done && text.endsWith('\r')
      if (carriage) text = text.slice(0, -1)
      const parts = text.replace(/\r\n?/g, '\n').split('\n')
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] as string
        grow(part.length + 1)
        pieces.push(part)
        if (i === parts.length - 1) break
        const record = endLine()
        if (record !== undefined) yield record
      }
      if (done) {
        const line = pieces.join('')
        const rest = separator === '\n' ? line : [...lines, line].join('\n')
        if (rest.trim()) yield rest
        return
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
}
