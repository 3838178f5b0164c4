/**
 * The one wrapper client-side readers share: it ends the run at its result, and owns the abort,
 * a stream that breaks, a stream with no result, and closing the request however it ends.
 */
import { describe, expect, it } from 'vitest'
import type { RunEvent } from '../../src/contract/runner.js'
import { CliProtocolError, RunAbortedError, UpstreamApiError } from '../../src/errors/index.js'
import { readRunStream } from '../../src/lib/run-stream.js'

const result = { type: 'result', result: { text: 'ok' } } as unknown as RunEvent

async function* wire(items: Array<string | Error>) {
  for (const item of items) {
    if (item instanceof Error) throw item
    yield item
  }
}

const read = async (
  items: Array<string | Error>,
  options: { controller?: AbortController; broken?: (error: unknown) => Error } = {}
) => {
  const controller = options.controller ?? new AbortController()
  let closed = 0
  const seen: string[] = []
  const run = readRunStream({
    events: wire(items),
    signal: controller.signal,
    translate: (item): RunEvent[] => {
      if (item === 'error') throw new UpstreamApiError('the far end said no')
      if (item === 'abort') controller.abort()
      return item === 'result' ? [result] : [{ type: 'text_delta', text: item }]
    },
    ...(options.broken && { broken: options.broken }),
    noResult: () => new CliProtocolError('no result'),
    close: () => closed++,
  })
  try {
    for await (const event of run) seen.push(event.type === 'text_delta' ? event.text : event.type)
    return { seen, closed }
  } catch (error) {
    return { seen, closed, error }
  }
}

describe('readRunStream', () => {
  it('ends at the result, whatever follows it', async () => {
    expect(await read(['a', 'result', 'b'])).toEqual({ seen: ['a', 'result'], closed: 1 })
  })

  it('throws a wire error as it is, and a stream without a result as noResult says', async () => {
    expect(await read(['a', 'error'])).toMatchObject({
      closed: 1,
      error: { type: 'upstream_error' },
    })
    expect(await read(['a'])).toMatchObject({ closed: 1, error: { message: 'no result' } })
  })

  it('makes an abort the abort, whatever the stream did then', async () => {
    const outcome = await read(['a', 'abort', new Error('socket closed')])
    expect(outcome.error).toBeInstanceOf(RunAbortedError)
    expect(outcome.closed).toBe(1)
  })

  it('lets the caller name a stream that broke', async () => {
    const outcome = await read(['a', new Error('socket closed')], {
      broken: (error) => new Error(`lost: ${(error as Error).message}`),
    })
    expect(outcome).toMatchObject({
      seen: ['a'],
      closed: 1,
      error: { message: 'lost: socket closed' },
    })
  })
})
