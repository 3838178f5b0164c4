import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURE_VERSIONS, fixturesOf } from '../../dev-tools/cli-env.js'
import { parseCliLine } from '../../src/adapters/node/cli-protocol/message.js'
import { createCliTranslator } from '../../src/adapters/node/cli-protocol/translator.js'
import type { RunEvent, RunRequest } from '../../src/contract/runner.js'
import {
  BudgetExceededError,
  CliProtocolError,
  DeadlineExceededError,
  MaxTurnsError,
  NotLoggedInError,
  OverloadedError,
  RateLimitedError,
  StructuredOutputError,
  UpstreamApiError,
  UpstreamAuthError,
} from '../../src/errors/index.js'
import { estimateCharge } from '../../src/run/charge.js'
import { HAIKU, OPUS } from '../helpers/priced-models.js'

/** Feeds a recorded stdout through the translator: the events, and the outcome. */
const replayIn =
  (dir: string) =>
  (file: string, request: Partial<RunRequest> = {}) => {
    const translator = createCliTranslator(request)
    const events: RunEvent[] = []
    const text = readFileSync(join(dir, file), 'utf8')
    // `--output-format json --verbose` prints one array; everything else is one object per line.
    const messages = text.trimStart().startsWith('[')
      ? (JSON.parse(text) as Record<string, unknown>[])
      : text.split('\n').flatMap((line) => parseCliLine(line) ?? [])
    for (const message of messages) events.push(...translator.translate(message))
    let outcome: unknown
    try {
      outcome = translator.finish()
    } catch (error) {
      outcome = error
    }
    return { events, outcome }
  }

// Every pinned version's recordings (test/fixtures/claude-cli-<version>/) must read the same.
describe.each(FIXTURE_VERSIONS)('CLI output translation (recorded %s fixtures)', (version) => {
  const replay = replayIn(fixturesOf(version))
  it('streams text deltas and ends with the result', () => {
    const { events, outcome } = replay('stream-json-partial-success.stdout')
    expect(events[0]).toMatchObject({ type: 'init', model: 'claude-haiku-5-5' })
    const deltas = events.filter((e) => e.type === 'text_delta').map((e) => e.text)
    expect(deltas).toEqual(['The an', 'swer i', 's 4.'])
    expect(outcome).toMatchObject({
      text: 'The answer is 4.',
      numTurns: 1,
      model: 'claude-haiku-5-5',
      usage: { input_tokens: expect.any(Number), output_tokens: 2 },
    })
  })

  it('reads the single result object of json mode', () => {
    const { outcome } = replay('json-success.stdout')
    expect(outcome).toMatchObject({ text: '4', sessionId: expect.any(String) })
    expect((outcome as { totalCostUsd: number }).totalCostUsd).toBeGreaterThan(0)
  })

  it('reports tool calls and their results', () => {
    const { events, outcome } = replay('stream-json-tool-roundtrip.stdout')
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'tool_use', name: 'Read', input: expect.any(Object) })
    )
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'tool_result',
        isError: false,
        toolUseId: expect.any(String),
      })
    )
    expect(outcome).toMatchObject({ text: '4', numTurns: 2 })
  })

  it('returns structured output when a schema was given', () => {
    const { outcome } = replay('json-structured-success.stdout', { jsonSchema: {} })
    expect(outcome).toMatchObject({ structuredOutput: { answer: 4 } })
  })

  it.each([
    ['stream-json-api-429.stdout', RateLimitedError, 429],
    ['stream-json-api-529.stdout', OverloadedError, 503],
    ['stream-json-api-500.stdout', UpstreamApiError, 502],
    ['json-api-400.stdout', UpstreamApiError, 502],
    ['json-api-401.stdout', UpstreamAuthError, 503],
    ['json-api-403.stdout', UpstreamAuthError, 503],
    ['stream-json-not-logged-in.stdout', NotLoggedInError, 503],
    ['json-not-logged-in.stdout', NotLoggedInError, 503],
    ['stream-json-api-timeout.stdout', DeadlineExceededError, 504],
    ['stream-json-connection-refused.stdout', UpstreamApiError, 502],
    ['json-error-max-turns.stdout', MaxTurnsError, 422],
    ['json-error-max-budget.stdout', BudgetExceededError, 422],
    ['json-structured-invalid.stdout', StructuredOutputError, 422],
  ])('maps %s to %s', (file, type, status) => {
    const { outcome } = replay(file)
    expect(outcome).toBeInstanceOf(type)
    expect((outcome as { status: number }).status).toBe(status)
  })

  it.each([
    ['end_turn', 'end_turn'],
    ['tool_use', 'budget'],
  ])('gives what a run made before its budget ran out (last call %s: %s)', (last, stop) => {
    const translator = createCliTranslator({})
    const delta = {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Paid for' },
    }
    translator.translate({ type: 'stream_event', event: delta, parent_tool_use_id: null })
    // As json-error-max-budget.stdout ends: the call was made, then the budget stopped the run.
    const subtype = 'error_max_budget_usd'
    translator.translate({ type: 'result', subtype, is_error: true, stop_reason: last })
    expect(translator.finish()).toMatchObject({ text: 'Paid for', stopReason: stop })
  })

  it('gives a rate limit a Retry-After and never leaks the CLI text to the message', () => {
    const { outcome } = replay('stream-json-api-429.stdout')
    const error = outcome as RateLimitedError
    expect(error.retryAfter).toBeGreaterThanOrEqual(1)
    expect(error.message).not.toContain('mock')
    expect(error.cause).toContain('429')
  })

  it('does not name internal hosts in upstream error messages', () => {
    const { outcome } = replay('stream-json-api-500.stdout')
    expect((outcome as Error).message).not.toMatch(/127\.0\.0\.1|gateway/)
  })

  it('treats a success without structured output as a failure when a schema was given', () => {
    const { outcome } = replay('json-structured-plain-text.stdout', { jsonSchema: {} })
    expect(outcome).toBeInstanceOf(StructuredOutputError)
  })

  it('reads a subscription reset time from the result text', () => {
    const translator = createCliTranslator({})
    const reset = Math.floor(Date.now() / 1000) + 3600
    translator.translate({
      type: 'result',
      subtype: 'success',
      is_error: true,
      api_error_status: null,
      result: `Claude AI usage limit reached|${reset}`,
    })
    const error = (() => {
      try {
        translator.finish()
      } catch (e) {
        return e as RateLimitedError
      }
    })()
    expect(error).toBeInstanceOf(RateLimitedError)
    expect(error?.resetAt?.getTime()).toBe(reset * 1000)
    expect(error?.retryAfter).toBeGreaterThan(3500)
  })

  it('fails with a protocol error when there is no result', () => {
    const translator = createCliTranslator({})
    translator.translate({ type: 'system', subtype: 'init', session_id: 's', model: 'm' })
    expect(() => translator.finish()).toThrow(CliProtocolError)
  })

  it('rejects a malformed line', () => {
    expect(() => parseCliLine('not json')).toThrow(CliProtocolError)
    expect(() => parseCliLine('[1,2]')).toThrow(CliProtocolError)
    expect(parseCliLine('   ')).toBeNull()
  })
})

describe.each(FIXTURE_VERSIONS)('charging a run (recorded %s fixtures)', (version) => {
  const replay = replayIn(fixturesOf(version))
  it('reports the tokens the API streamed, and error results carry their cost', () => {
    const { events } = replay('stream-json-partial-success.stdout')
    expect(events.filter((e) => e.type === 'usage').at(-1)).toEqual({
      type: 'usage',
      model: 'claude-haiku-5-5',
      usage: {
        // The mock counts a request's characters, which move with the CLI's system prompt.
        input_tokens: expect.any(Number),
        output_tokens: 2,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    })
    const { outcome } = replay('json-error-max-turns.stdout', { maxTurns: 1 })
    expect((outcome as MaxTurnsError).billed?.costUsd).toBeGreaterThan(0)
  })

  it('estimates a run without a result at the model list prices, never below them', () => {
    const usage = {
      input_tokens: 1_000_000,
      output_tokens: 100_000,
      cache_read_input_tokens: 1_000_000,
      cache_creation_input_tokens: 0,
    }
    const models = [HAIKU, OPUS]
    expect(estimateCharge(usage, 'claude-haiku-5-5', models).costUsd).toBeCloseTo(1 + 0.5 + 0.1)
    expect(estimateCharge(usage, 'claude-unknown', models).costUsd).toBeCloseTo(5 + 2.5 + 0.5)
    // No prices known at all: the highest tier's, never $0.
    expect(estimateCharge(usage, 'claude-haiku-5-5', []).costUsd).toBeCloseTo(15 + 7.5 + 1.5)
  })

  it('counts each part of a turn that parks on tool calls by itself', () => {
    const translator = createCliTranslator({})
    const start = (input: number) => ({
      type: 'stream_event',
      parent_tool_use_id: null,
      event: {
        type: 'message_start',
        message: { model: 'claude-haiku-5-5', usage: { input_tokens: input } },
      },
    })
    translator.translate(start(100))
    expect(translator.suspend().usage).toMatchObject({ input_tokens: 100 })
    // After resuming, what a run aborted now is charged by is the new part's tokens only.
    const usage = translator.translate(start(40)).filter((e) => e.type === 'usage')
    expect(usage.at(-1)).toMatchObject({ usage: { input_tokens: 40 } })
    expect(translator.suspend().usage).toMatchObject({ input_tokens: 40 })
  })

  it("counts a sub-agent's tokens with the run's", () => {
    const translator = createCliTranslator({})
    const start = (parent: string | null, input: number) => ({
      type: 'stream_event',
      parent_tool_use_id: parent,
      event: {
        type: 'message_start',
        message: { model: 'claude-haiku-5-5', usage: { input_tokens: input } },
      },
    })
    const delta = (parent: string | null, output: number) => ({
      type: 'stream_event',
      parent_tool_use_id: parent,
      event: { type: 'message_delta', usage: { output_tokens: output } },
    })
    const lines = [
      start(null, 100),
      delta(null, 10),
      start('toolu_task', 1000),
      delta('toolu_task', 50),
    ]
    const usage = lines
      .flatMap((line) => translator.translate(line))
      .filter((e) => e.type === 'usage')
    expect(usage.at(-1)).toMatchObject({
      model: 'claude-haiku-5-5',
      usage: { input_tokens: 1100, output_tokens: 60 },
    })
  })
})
