/** The API runner refuses what the public /llm API cannot carry, rather than dropping it. */
import { describe, expect, it } from 'vitest'
import { createApiRunner } from '../../src/adapters/api.js'

const runner = createApiRunner({
  url: 'http://127.0.0.1:9',
  fetch: (async () => {
    throw new Error('nothing should be sent')
  }) as typeof fetch,
})
const refusal = async (request: Parameters<typeof runner.run>[0]) => {
  for await (const _ of runner.run(request)) return undefined
  return undefined
}

describe('createApiRunner', () => {
  it.each([
    [{ prompt: 'x', maxOutputTokens: 10 }, /maxOutputTokens/],
    [{ prompt: 'x', effort: 'high' as const, thinking: 'updates' as const }, /effort, thinking/],
    [
      {
        prompt: [
          {
            type: 'document' as const,
            source: { type: 'text' as const, media_type: 'text/plain' as const, data: 'd' },
          },
        ],
      },
      /documents/,
    ],
  ])('refuses %j instead of dropping it', async (request, message) => {
    await expect(refusal(request)).rejects.toMatchObject({ type: 'forbidden', message })
  })
})
