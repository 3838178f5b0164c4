/**
 * The native body and a RunRequest, both ways: a run written by the API runner reads back as the
 * same run on the server, and every field of the RunRequest schema is carried, refused by the
 * writer, or set by the server; a new field that is none of them fails here.
 */
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import {
  queryBodyOf,
  REFUSED_FIELDS,
  runRequestOf,
  SERVER_FIELDS,
} from '../../src/api/query-codec.js'
import { QueryRequest } from '../../src/api/schemas.js'
import { RunRequestSchema } from '../../src/contract/run.js'
import type { RunRequest } from '../../src/contract/runner.js'

/** A run with every field a client can send over the native API. */
const everything: RunRequest = {
  prompt: [
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    { type: 'text', text: 'what is this?' },
  ],
  history: [
    { role: 'user', content: 'hello' },
    { role: 'assistant', content: 'hi' },
  ],
  systemPrompt: 'be brief',
  appendSystemPrompt: 'and kind',
  model: 'sonnet',
  maxTurns: 4,
  allowedTools: ['Read'],
  disallowedTools: ['Write'],
  persistSession: true,
  maxBudgetUsd: 0.5,
  timeoutMs: 60_000,
  tools: [{ name: 'get_weather', description: 'Weather', inputSchema: { type: 'object' } }],
  toolResults: [{ toolUseId: 'toolu_1', content: 'sunny', isError: true }],
}

describe('the native query codec', () => {
  it('reads back what it writes', () => {
    const body = v.parse(QueryRequest, JSON.parse(JSON.stringify(queryBodyOf(everything))))
    expect(runRequestOf(body)).toEqual(everything)
    const resumed = {
      prompt: 'again',
      resumeSessionId: 'e194ebc3-64f4-41d5-9573-ba2141a38d9e',
      maxTurns: 1,
    }
    const back = runRequestOf(v.parse(QueryRequest, queryBodyOf(resumed)))
    expect(back).toMatchObject(resumed)
  })

  it('accounts for every field of the RunRequest schema', () => {
    const accounted = new Set([
      ...Object.keys(everything),
      'resumeSessionId',
      ...REFUSED_FIELDS,
      ...SERVER_FIELDS,
    ])
    expect(Object.keys(RunRequestSchema.entries).filter((field) => !accounted.has(field))).toEqual(
      []
    )
  })

  it('refuses what the body has no room for, by name', () => {
    for (const field of REFUSED_FIELDS) {
      const value =
        field === 'jsonSchema'
          ? { type: 'object' }
          : field === 'thinking'
            ? 'updates'
            : field === 'effort'
              ? 'high'
              : 10
      expect(() => queryBodyOf({ prompt: 'x', [field]: value } as RunRequest), field).toThrow(field)
    }
  })
})
