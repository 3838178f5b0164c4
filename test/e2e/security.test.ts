/**
 * Attacks on the server, each reproduced through the real CLI and the project's mock where the
 * CLI is involved; every test here failed on the code before its fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())

/** The slowest /health answer while `work` runs: the event loop's worst stall. */
const healthDuring = async (work: Promise<unknown>) => {
  let done = false
  let worst = 0
  const polling = (async () => {
    while (!done) {
      const started = performance.now()
      await (await fetch(`${stack.url}/health`)).arrayBuffer()
      worst = Math.max(worst, performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  const settled = await work.finally(() => {
    done = true
  })
  await polling
  return { worst, settled }
}

describe('input that would block the event loop', () => {
  // Generous bounds: before the fix these froze the server for many seconds.
  it("an answer of 40,000 '[' on /llm/json is a quick 422, and /health stays responsive", async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: '['.repeat(40_000) }))
    const started = performance.now()
    const { worst, settled } = await healthDuring(stack.post('/llm/json', { prompt: 'json' }))
    const res = settled as Response
    expect(res.status).toBe(422)
    expect((await res.json()).type).toBe('no_json')
    expect(performance.now() - started).toBeLessThan(5_000)
    expect(worst).toBeLessThan(1_000)
  })

  it("a body of 10 MiB of '[' is a quick 400, and /health stays responsive", async () => {
    const before = stack.mock.messageRequests().length
    const { worst, settled } = await healthDuring(stack.post('/llm/chat', '['.repeat(10 * 2 ** 20)))
    const res = settled as Response
    expect(res.status).toBe(400)
    expect((await res.json()).detail).toMatch(/nested deeper than 128 levels/)
    expect(worst).toBeLessThan(1_000)
    expect(stack.mock.messageRequests()).toHaveLength(before)
  })
})
