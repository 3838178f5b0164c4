/**
 * CLI processes started ahead of demand, through the real CLI: a run takes one, gets exactly its
 * own system prompt and prompt, a replacement is ready for the next run, another shape makes
 * room for itself, and nothing is left after shutdown.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processesIn, waitFor } from '../../dev-tools/cli-env.js'
import { lastUserMessage, systemText, userText } from '../../dev-tools/mock-anthropic/server.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  // Fresh processes only here; reuse after /clear has its own tests (reuse.test.ts).
  stack = await startTestStack({ warmProcesses: 1, reuseProcesses: false })
})
afterAll(() => stack?.close())

const processes = async () => (await (await fetch(`${stack.url}/llm/status`)).json()).processes
const readyFor = (used: number) =>
  waitFor(async () => {
    const p = await processes()
    return p.warm === 1 && p.used === used && p
  })

describe('processes started ahead', () => {
  it('serve runs one each, with nothing of one run in the next', async () => {
    await readyFor(0)
    const first = await stack.post('/llm/chat', { prompt: 'first', system: 'SYSTEM-A' })
    expect((await first.json()).text).toBe('ECHO: first')
    await readyFor(1)
    const second = await stack.post('/llm/chat/stream', { prompt: 'second', system: 'SYSTEM-B' })
    expect(await second.text()).toContain('ECHO: second')
    await readyFor(2)

    const [a, b] = stack.mock.messageRequests()
    expect(systemText(a?.body ?? {})).toContain('SYSTEM-A')
    expect(systemText(b?.body ?? {})).toContain('SYSTEM-B')
    expect(systemText(b?.body ?? {})).not.toContain('SYSTEM-A')
    const turns = (b?.body.messages ?? []).filter((m) => m.role !== 'system')
    expect(turns.map((m) => userText(m))).toEqual(['second'])
    expect(userText(lastUserMessage(b?.body ?? {}))).toBe('second')
  })

  it('a run of another shape starts cold, and its shape is ready next time', async () => {
    const before = await processes()
    const res = await stack.post('/llm/chat', { prompt: 'other shape', model: 'sonnet' })
    expect(res.status).toBe(200)
    const after = await waitFor(async () => {
      const p = await processes()
      return p.warm === 1 && p.retired > before.retired && p
    })
    expect(after.used).toBe(before.used)
    const again = await stack.post('/llm/chat', { prompt: 'same shape', model: 'sonnet' })
    expect((await again.json()).text).toBe('ECHO: same shape')
    expect((await processes()).used).toBe(before.used + 1)
  })

  it('leaves no process and no directory after shutdown', async () => {
    await waitFor(async () => (await processes()).warm === 1)
    expect((await processesIn(stack.workDir)).length).toBeGreaterThan(0)
    await stack.server.close()
    expect(await processesIn(stack.workDir)).toEqual([])
    expect(await readdir(join(stack.workDir, 'runs'))).toEqual([])
    // The directory the processes started ahead shared is left empty.
    expect(await readdir(join(stack.workDir, 'shared'))).toEqual([])
  })
})

describe('processes started ahead, unused', () => {
  it('are stopped after their idle lifetime, leaving nothing running', async () => {
    const idle = await startTestStack({ warmProcesses: 1, warmIdleMs: 1_500 })
    const status = async () => (await (await fetch(`${idle.url}/llm/status`)).json()).processes
    try {
      // Polls may be slower than the lifetime on a busy machine (each one probes the CLI), so
      // the test waits for the end state rather than for a glimpse of the waiting process.
      const after = await waitFor(
        async () => {
          const p = await status()
          return p.started === 1 && p.warm === 0 && p.retired === 1 && p
        },
        { timeoutMs: 30_000 }
      )
      expect(after).toMatchObject({ used: 0, starting: 0 })
      await waitFor(async () => (await processesIn(idle.workDir)).length === 0)
    } finally {
      await idle.close()
    }
  })
})
