/** A run waiting for tool results keeps its key's place (max_concurrent), over a fake runner. */
import { describe, expect, it } from 'vitest'
import { createFakeRunner, events, result } from '../../dev-tools/fake-runner.js'
import { createApp } from '../../src/app.js'
import { hashKey } from '../../src/auth/keys.js'
import { staticKeySource } from '../../src/auth/middleware.js'
import { silentLogger } from '../../src/lib/logger.js'

const KEY = 'cca_0123456789abcdef0123456789abcdef'

const setup = async () => {
  const fake = createFakeRunner()
  const record = {
    hash: await hashKey(KEY),
    name: 'one',
    created: '',
    policy: { max_concurrent: 1 },
  }
  const app = createApp({
    runner: fake.runner,
    logger: silentLogger,
    keys: staticKeySource([record]),
  })
  const query = (body: object) =>
    app.request('/llm/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    })
  return { fake, query }
}

describe("a parked run's place", () => {
  it('counts against max_concurrent until its follow-up continues it', async () => {
    const { fake, query } = await setup()
    const call = { id: 'toolu_1', name: 'get_weather', input: {} }
    fake.setScript(events({ type: 'started' }, result('', { toolCalls: [call] })))
    const first = await query({
      prompt: 'weather?',
      tools: [{ name: 'get_weather', input_schema: {} }],
    })
    expect((await first.json()).tool_calls).toHaveLength(1)

    // The waiting run holds the key's one place: another run is refused.
    fake.setScript(events({ type: 'started' }, result('other')))
    expect((await query({ prompt: 'something else' })).status).toBe(429)

    // The follow-up takes the place over (it is not refused), and gives it back at the end.
    fake.setScript(events({ type: 'started' }, result('sunny')))
    const followUp = await query({
      prompt: '',
      tool_results: [{ tool_use_id: 'toolu_1', content: 'sunny' }],
    })
    expect(followUp.status).toBe(200)
    expect((await query({ prompt: 'something else' })).status).toBe(200)
  })
})
