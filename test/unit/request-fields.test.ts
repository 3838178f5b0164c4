/**
 * The compatible endpoints' field lists come from their schemas: what a schema has is accepted,
 * what it marks ignored is named in `x-ignored-params`, and nothing is kept beside it by hand.
 */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { IGNORED as MESSAGES_IGNORED } from '../../src/compat/anthropic/request.js'
import { fieldsOf, ignored } from '../../src/compat/fields.js'
import { IGNORED as CHAT_IGNORED } from '../../src/compat/openai/request.js'
import { IGNORED as RESPONSES_IGNORED } from '../../src/compat/responses/request.js'
import { ResponsesRequest } from '../../src/compat/responses/schemas.js'
import { setupApp } from '../helpers/fake-app.js'

describe('request fields', () => {
  it('are the schema’s entries; the ignored ones are those it marks', () => {
    const schema = v.looseObject({
      model: v.string(),
      knob: ignored(v.optional(v.number())),
      extra: v.optional(v.string()),
    })
    const fields = fieldsOf(schema)
    expect([...fields.known]).toEqual(['model', 'knob', 'extra'])
    expect(fields.ignored).toEqual(['knob'])
    // A marked field still validates as its schema says.
    expect(v.safeParse(schema, { model: 'm', knob: 'x' }).success).toBe(false)
  })

  it('name what each dialect accepts without honouring', () => {
    expect(MESSAGES_IGNORED).toEqual(['temperature', 'top_p', 'top_k'])
    expect(CHAT_IGNORED).toEqual([
      'temperature',
      'top_p',
      'presence_penalty',
      'frequency_penalty',
      'seed',
      'logit_bias',
    ])
    expect(RESPONSES_IGNORED).toEqual(['temperature', 'top_p', 'top_logprobs'])
  })

  it('refuse what the schema does not have, and accept everything it has', async () => {
    const { post } = setupApp()
    const refused = await post('/v1/responses', { model: 'haiku', input: 'hi', novel: 1 })
    expect(refused.status).toBe(400)
    expect((await refused.json()).error.message).toMatch(/^novel: not supported/)
    expect(fieldsOf(ResponsesRequest).known.has('max_tool_calls')).toBe(true)
    const accepted = await post('/v1/responses', {
      model: 'haiku',
      input: 'hi',
      temperature: 0.2,
      max_tool_calls: 3,
    })
    expect(accepted.status).toBe(200)
    expect(accepted.headers.get('x-ignored-params')).toBe('temperature')
  })
})
