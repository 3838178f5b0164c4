/** The one event-stream reader: both framings, schema-checked, forward-compatible. */
import { describe, expect, it } from 'vitest'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import { RunnerLine } from '../../src/contract/runner-protocol.js'
import { CliProtocolError } from '../../src/errors/index.js'
import { readEvents } from '../../src/lib/read-events.js'
import { splitStream } from '../../src/lib/stream-split.js'

const body = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      // Split mid-event, as a network would.
      const bytes = new TextEncoder().encode(text)
      controller.enqueue(bytes.slice(0, 7))
      controller.enqueue(bytes.slice(7))
      controller.close()
    },
  })

const all = async <T>(events: AsyncIterable<T>) => {
  const out: T[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('readEvents', () => {
  it('reads SSE data events, skipping comments and types it does not know', async () => {
    const text = [
      ': keep-alive',
      'id: 0\ndata: {"type":"start"}',
      'data: {"type":"chunk","text":"hi"}',
      'data: {"type":"from_the_future","x":1}',
      'data: {"type":"end"}',
      '',
    ].join('\n\n')
    expect(await all(readEvents(body(text), 'sse', NativeStreamEvent))).toEqual([
      { type: 'start' },
      { type: 'chunk', text: 'hi' },
      { type: 'end' },
    ])
  })

  it('reads NDJSON run events and wire errors, blank lines being keep-alives', async () => {
    const text =
      '{"type":"started"}\n\n{"type":"error","error":{"type":"queue_full","message":"busy"}}\n'
    expect(await all(readEvents(body(text), 'ndjson', RunnerLine))).toEqual([
      { type: 'started' },
      { type: 'error', error: { type: 'queue_full', message: 'busy' } },
    ])
  })

  it('refuses a known event that does not match its schema, and a line that is not JSON', async () => {
    await expect(
      all(readEvents(body('{"type":"text_delta","text":5}\n'), 'ndjson', RunnerLine))
    ).rejects.toMatchObject({
      type: 'protocol_error',
      message: expect.stringContaining('text_delta'),
    })
    await expect(all(readEvents(body('nope\n'), 'ndjson', RunnerLine))).rejects.toMatchObject({
      type: 'protocol_error',
    })
  })
})

/** A body sent in the given pieces, as a network might cut it. */
const pieces = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new TextEncoder().encode(part))
      controller.close()
    },
  })

describe('splitStream', () => {
  it('takes CRLF split across chunks as one line end, in either framing', async () => {
    expect(await all(splitStream(pieces('a\r', '\nb\r', '\n'), '\n'))).toEqual(['a', 'b'])
    expect(await all(splitStream(pieces('data: 1\r\n\r', '\ndata: 2\r\n\r\n'), '\n\n'))).toEqual([
      'data: 1',
      'data: 2',
    ])
  })

  it('refuses a record longer than its cap, however it arrives, without holding it all', async () => {
    const chunk = 'x'.repeat(64 * 1024)
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode(chunk))
      },
    })
    const reading = all(splitStream(endless, '\n', 1024 * 1024))
    await expect(reading).rejects.toBeInstanceOf(CliProtocolError)
    await expect(reading).rejects.toThrow(/longer than 1 MiB/)
  })

  it('reads many records of one chunk, and one record of many chunks', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`).join('\n')
    expect(await all(splitStream(pieces(many), '\n'))).toHaveLength(1000)
    const long = Array.from({ length: 100 }, () => 'y'.repeat(1000))
    expect(await all(splitStream(pieces(...long, '\n'), '\n'))).toEqual(['y'.repeat(100_000)])
  })
})
