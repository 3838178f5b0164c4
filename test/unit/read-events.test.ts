/** The one event-stream reader: both framings, schema-checked, forward-compatible. */
import { describe, expect, it } from 'vitest'
import { NativeStreamEvent } from '../../src/api/stream-events.js'
import { readEvents } from '../../src/lib/read-events.js'
import { RunnerLine } from '../../src/runner-protocol/protocol.js'

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
