/** What one side writes, the other side's schema reads: the stream errors and a host's health. */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { createFakeRunner } from '../../dev-tools/fake-runner.js'
import { createResponseBuilder } from '../../src/compat/responses/response.js'
import { ResponsesRequest } from '../../src/compat/responses/schemas.js'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import { ResponsesStreamEvent } from '../../src/contract/responses-events.js'
import { Health, RunnerLine } from '../../src/contract/runner-protocol.js'
import { HostLostError, QueueFullError } from '../../src/errors/index.js'
import { streamErrorOf } from '../../src/http/dialect.js'
import { createRunnerHostApp } from '../../src/runner-protocol/host.js'

describe('writers typed by their readers’ schemas', () => {
  it('stream errors, native and runner, parse as the readers read them', () => {
    const billed = { costUsd: 0.01, usage: null, model: null }
    const error = new HostLostError('gone', { retryAfter: 1, billed })
    expect(v.parse(NativeStreamEvent, streamErrorOf('native', error))).toEqual({
      type: 'error',
      message: 'gone',
      error_type: 'host_lost',
      retry_after: 1,
    })
    expect(v.parse(RunnerLine, streamErrorOf('runner', error))).toEqual({
      type: 'error',
      error: { type: 'host_lost', message: 'gone', retry_after: 1, billed },
    })
    expect(
      v.safeParse(RunnerLine, streamErrorOf('runner', new QueueFullError('full'))).success
    ).toBe(true)
  })

  it("a runner host's health parses as front doors read it", async () => {
    const app = createRunnerHostApp({ runner: createFakeRunner().runner })
    const res = await app.request('/runner/v1/health', { headers: { 'x-runner-protocol': '1' } })
    expect(res.status).toBe(200)
    expect(v.safeParse(Health, await res.json()).success).toBe(true)
  })

  it('a health check asks the runner its capacity only, never its full status (that starts the CLI)', async () => {
    const { runner } = createFakeRunner()
    const capacity = { max_concurrency: 2, running: 1, queued: 0, max_queue: 4 }
    const app = createRunnerHostApp({
      runner: {
        ...runner,
        status: async () => {
          throw new Error('status asked')
        },
        capacity: () => capacity,
      },
    })
    const res = await app.request('/runner/v1/health', { headers: { 'x-runner-protocol': '1' } })
    expect(res.status).toBe(200)
    expect((await res.json()).capacity).toEqual(capacity)
  })
})

describe('the Responses stream', () => {
  it('is written as the one union its readers parse (thinking, text, calls, every ending)', () => {
    const body = v.parse(ResponsesRequest, { model: 'haiku', input: 'hi' })
    const result = {
      text: 'done',
      sessionId: null,
      model: 'claude-haiku-5-5',
      numTurns: 1,
      totalCostUsd: 0,
      durationMs: 1,
      usage: null,
      modelUsage: null,
      toolCalls: [{ id: 'toolu_2', name: 'lookup', input: { q: 'x' } }],
    }
    const events = [
      ...(() => {
        const builder = createResponseBuilder(body)
        return [
          ...builder.start(),
          ...builder.event({ type: 'thinking_delta', text: 'hmm' }),
          ...builder.event({ type: 'thinking_signature', signature: 's' }),
          ...builder.event({ type: 'text_delta', text: 'hel' }),
          ...builder.event({
            type: 'tool_use',
            id: 'toolu_1',
            name: 'get',
            input: {},
            client: true,
          }),
          ...builder.finish(result),
        ]
      })(),
      ...createResponseBuilder(body).failed(new HostLostError('gone')),
      ...createResponseBuilder(body).cancelled(),
      ...createResponseBuilder(body).finish({ ...result, toolCalls: [], stopReason: 'max_tokens' }),
    ]
    const types = new Set<string>()
    for (const event of events) {
      expect(v.safeParse(ResponsesStreamEvent, event).success, event.type).toBe(true)
      types.add(event.type)
    }
    expect(types.size).toBeGreaterThanOrEqual(17)
  })
})
