/**
 * The one reader of event streams this project speaks: Server-Sent Events (the native API, read
 * by the API client runner and the chat page) and NDJSON (the runner protocol, read by the
 * remote runner). Each event is checked against its schema; an event of a type the schema does
 * not know is skipped (a newer server may send more), a known one that does not match it is a
 * protocol error.
 */
import * as v from 'valibot'
import { CliProtocolError } from '../errors/index.js'
import { splitStream } from './stream-split.js'

export type Framing = 'sse' | 'ndjson'

/** The `data:` payloads of a `text/event-stream` body (comments and other fields skipped). */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const block of splitStream(body, '\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
    if (data.length > 0) yield data.join('\n')
  }
}

/** The lines of an NDJSON body; blank lines are keep-alives. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const line of splitStream(body, '\n')) if (line.trim()) yield line
}

type EventSchema = v.VariantSchema<
  'type',
  v.VariantOptions<'type'>,
  v.ErrorMessage<v.VariantIssue> | undefined
>

const typesOf = (schema: EventSchema) =>
  new Set(
    schema.options.flatMap((option) => {
      const type = (option as v.ObjectSchema<v.ObjectEntries, undefined>).entries.type
      return type && 'literal' in type ? [String(type.literal)] : []
    })
  )

export async function* readEvents<S extends EventSchema>(
  body: ReadableStream<Uint8Array>,
  framing: Framing,
  schema: S
): AsyncGenerator<v.InferOutput<S>> {
  const known = typesOf(schema)
  for await (const text of framing === 'sse' ? sseData(body) : ndjsonLines(body)) {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw new CliProtocolError('The stream carried a line that is not JSON', { cause })
    }
    const parsed = v.safeParse(schema, value)
    if (parsed.success) {
      yield parsed.output
      continue
    }
    const type = (value as { type?: unknown } | null)?.type
    if (typeof type === 'string' && !known.has(type)) continue
    throw new CliProtocolError(`The stream carried a malformed ${String(type)} event`, {
      cause: v.summarize(parsed.issues),
    })
  }
}
