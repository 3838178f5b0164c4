/**
 * The one stream pipe, through every format that uses it: the text guarantee (deltas, or the
 * result's text when the CLI sent none), the headers, the error frame in each dialect, and a
 * request log line written when the stream ends, with its model and cost.
 */
import { describe, expect, it } from 'vitest'
import { createFakeRunner, events, result, type Script } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import type { RunEvent } from '../../src/contract/runner.js'
import { RateLimitedError } from '../../src/errors/index.js'
import { createRunnerHostApp } from '../../src/runner-protocol/host.js'
import { captureLogger } from '../helpers/capture-logger.js'

const formats = {
  native: { path: '/llm/chat/stream', body: { prompt: 'hi' } },
  openai: {
    path: '/v1/chat/completions',
    body: { model: 'haiku', stream: true, messages: [{ role: 'user', content: 'hi' }] },
  },
  anthropic: {
    path: '/v1/messages',
    body: {
      model: 'haiku',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    },
  },
  runner: { path: '/runner/v1/runs', body: { prompt: 'hi' } },
} as const

type Format = keyof typeof formats

const request = async (format: Format, script: Script) => {
  const fake = createFakeRunner(script)
  const { logger, lines } = captureLogger()
  const app =
    format === 'runner'
      ? createRunnerHostApp({ runner: fake.runner, logger })
      : createApp({ runner: fake.runner, logger })
  const { path, body } = formats[format]
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { res, text: await res.text(), lines }
}

/** The answer's text as each format carries it. */
const textOf = (format: Format, body: string) => {
  const payloads =
    format === 'runner'
      ? body.split('\n').filter(Boolean)
      : body
          .split('\n')
          .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
          .map((line) => line.slice(6))
  return payloads
    .map((data) => JSON.parse(data))
    .map((e) => {
      if (format === 'native') return e.type === 'chunk' ? e.text : ''
      if (format === 'openai') return e.choices?.[0]?.delta?.content ?? ''
      if (format === 'anthropic') return e.delta?.type === 'text_delta' ? e.delta.text : ''
      return e.type === 'text_delta' ? e.text : ''
    })
    .join('')
}

describe.each(Object.keys(formats) as Format[])('the %s stream', (format) => {
  it('carries the deltas, and only them, when there are deltas', async () => {
    const script = events(
      { type: 'started' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      result('Hello')
    )
    const { res, text } = await request(format, script)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-accel-buffering')).toBe('no')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(textOf(format, text)).toBe('Hello')
  })

  it("carries the result's text when no delta arrived", async () => {
    const { text } = await request(format, events({ type: 'started' }, result('Whole answer')))
    expect(textOf(format, text)).toBe('Whole answer')
  })

  it('ends with an error frame in its own dialect when the run fails after starting', async () => {
    const failing = events(
      { type: 'started' },
      { type: 'text_delta', text: 'partial' },
      new RateLimitedError('slow down', { retryAfter: 7 })
    )
    const { text } = await request(format, failing)
    const expected = {
      // A retryable failure says when to try again, in every dialect.
      native: '"type":"error","message":"slow down","error_type":"rate_limited","retry_after":7',
      openai:
        '"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limited","retry_after":7}',
      anthropic:
        '"type":"error","error":{"type":"rate_limit_error","message":"slow down","retry_after":7}',
      runner:
        '"type":"error","error":{"type":"rate_limited","message":"slow down","retry_after":7}',
    }[format]
    expect(text).toContain(expected)
  })
})

describe.each(['native', 'openai', 'anthropic'] as const)('the %s stream', (format) => {
  it('is logged when it ends, with its duration, model and cost', async () => {
    const slow: Script = async function* () {
      yield { type: 'started' } as RunEvent
      await new Promise((resolve) => setTimeout(resolve, 150))
      yield result('done', { model: 'claude-fake-1', totalCostUsd: 0.25 })
    }
    const { lines } = await request(format, slow)
    const log = lines.find((line) => line.message === 'request')
    expect(log).toMatchObject({ status: 200, model: 'claude-fake-1', cost_usd: 0.25 })
    expect(log?.duration_ms).toBeGreaterThanOrEqual(140)
  })
})
