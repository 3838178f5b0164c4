/** The error vocabulary: behaviour on the class, kept across the wire, one rule one error. */
import { describe, expect, it } from 'vitest'
import { ERROR_CLASSES, errorFromType } from '../../src/errors/from-wire.js'
import * as family from '../../src/errors/index.js'
import { QueueFullError, QuotaExhaustedError, ValidationError } from '../../src/errors/index.js'
import { assertRunnable } from '../../src/run/request-check.js'
import { setupApp } from '../helpers/fake-app.js'

describe('errors', () => {
  it('say how callers should treat them, also when rebuilt from the wire', () => {
    const cases: Array<[string, { retryable: boolean; upstream: boolean; hostBound: boolean }]> = [
      ['queue_full', { retryable: true, upstream: false, hostBound: true }],
      ['quota_exhausted', { retryable: true, upstream: true, hostBound: true }],
      ['rate_limited', { retryable: true, upstream: true, hostBound: false }],
      ['overloaded', { retryable: true, upstream: true, hostBound: false }],
      ['upstream_error', { retryable: true, upstream: true, hostBound: false }],
      ['not_logged_in', { retryable: false, upstream: true, hostBound: false }],
      ['deadline_exceeded', { retryable: false, upstream: true, hostBound: false }],
      ['runner_unavailable', { retryable: true, upstream: false, hostBound: false }],
      ['validation_error', { retryable: false, upstream: false, hostBound: false }],
      ['forbidden', { retryable: false, upstream: false, hostBound: false }],
    ]
    for (const [type, behaviour] of cases) {
      const error = errorFromType(type, 'x')
      expect(error.type).toBe(type)
      expect({
        retryable: error.retryable,
        upstream: error.upstream,
        hostBound: error.hostBound,
      }).toEqual(behaviour)
    }
    expect(new QueueFullError('x').hostBound).toBe(true)
    expect(new QuotaExhaustedError('x').retryable).toBe(true)
  })

  it('history with a kept session is one 422, whoever asks', () => {
    const request = {
      prompt: 'hi',
      history: [{ role: 'user' as const, content: 'before' }],
      resumeSessionId: '11111111-2222-4333-8444-555555555555',
    }
    expect(() => assertRunnable(request)).toThrow(ValidationError)
    try {
      assertRunnable(request)
    } catch (error) {
      expect(error).toMatchObject({ status: 422, errors: [{ field: 'history' }] })
    }
  })
})

describe('client tool names', () => {
  it('are refused when they would be more than a name on the CLI command line', () => {
    const tool = (name: string) => ({ prompt: 'x', tools: [{ name, inputSchema: {} }] })
    for (const name of ['x,Read', 'Bash(rm *)', 'a b', '', 'x'.repeat(65)]) {
      expect(() => assertRunnable(tool(name)), name).toThrow(ValidationError)
    }
    expect(() => assertRunnable(tool('get_weather-2'))).not.toThrow()
  })

  it('may be a built-in tool’s name (Claude Code defines its own Read), unless the run allows that built-in too', () => {
    const tools = [{ name: 'Read', inputSchema: {} }]
    expect(() => assertRunnable({ prompt: 'x', tools })).not.toThrow()
    expect(() => assertRunnable({ prompt: 'x', tools, allowedTools: ['Read'] })).toThrow(
      /also allowed as Claude Code's own tool/
    )
  })

  it('on the OpenAI and Anthropic endpoints too: a 400, and nothing runs', async () => {
    const { post, requests } = setupApp()
    const openai = await post('/v1/chat/completions', {
      model: 'haiku',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'x,Read', parameters: { type: 'object' } } }],
    })
    expect(openai.status).toBe(400)
    const anthropic = await post('/v1/messages', {
      model: 'haiku',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ name: 'x,Read', input_schema: { type: 'object' } }],
    })
    expect(anthropic.status).toBe(400)
    expect(requests).toHaveLength(0)
  })
})

describe('the wire map of errors', () => {
  it('holds every class of the family, each under a type of its own', () => {
    const classes = Object.values(family).filter(
      (value) =>
        typeof value === 'function' &&
        (value === family.ClaudeError || value.prototype instanceof family.ClaudeError)
    ) as Array<new (message: string) => family.ClaudeError>
    const types = classes.map((ErrorType) => new ErrorType('').type)
    expect(new Set(types).size).toBe(types.length)
    for (const ErrorType of classes) {
      const type = new ErrorType('').type
      expect(ERROR_CLASSES.get(type), type).toBe(ErrorType)
      expect(errorFromType(type, 'm')).toBeInstanceOf(ErrorType)
    }
    expect(classes.length).toBeGreaterThan(30)
  })
})
