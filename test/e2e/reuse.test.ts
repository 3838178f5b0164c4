/**
 * Processes reused after `/clear`, through the real CLI: isolation is proven at the mock's
 * request log (nothing of one run ever reaches the model in the next), and a process goes only to
 * its own key, system prompt and model, never after an aborted run, and not past its limits.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir, waitFor } from '../../dev-tools/cli-env.js'
import { type MockRequest, systemText } from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

type Processes = {
  warm: number
  starting: number
  resetting: number
  busy: number
  reused: number
  retired: number
}

let statusKey: string | undefined

const statusOf = async (stack: TestStack): Promise<Processes> => {
  const headers = statusKey ? { authorization: `Bearer ${statusKey}` } : undefined
  return (await (await fetch(`${stack.url}/llm/status`, { headers })).json()).processes
}

/** Waits until nothing runs, starts or is being reset, and `warm` processes wait. */
const settled = (stack: TestStack, warm: number) =>
  waitFor(async () => {
    const p = await statusOf(stack)
    return p.busy === 0 && p.starting === 0 && p.resetting === 0 && p.warm === warm && p
  })

/** Everything a request showed the model: system prompt and every message. */
const seen = (request: MockRequest | undefined) =>
  `${systemText(request?.body ?? {})}\n${JSON.stringify(request?.body.messages ?? [])}`

const lastRequest = (stack: TestStack) => stack.mock.messageRequests().at(-1)

/** The text blocks the CLI put before the prompt in the first user message (the `/clear` residue). */
const residueOf = (request: MockRequest | undefined) => {
  const first = (request?.body.messages ?? []).find((m) => m.role === 'user')
  const blocks = Array.isArray(first?.content) ? (first.content as { text?: string }[]) : []
  return blocks
    .slice(0, -1)
    .map((b) => b.text ?? '')
    .join('')
}

let dir: string
let stack: TestStack
let alice: string
let bob: string
beforeAll(async () => {
  dir = await tempDir('reuse')
  const keysFile = join(dir, '.api-keys')
  alice = (await createKey(keysFile, { name: 'alice' })).key
  bob = (await createKey(keysFile, { name: 'bob' })).key
  statusKey = alice
  stack = await startTestStack({ keysFile, warmProcesses: 2 })
  await settled(stack, 2)
})
afterAll(async () => {
  await stack?.close()
  await removeDir(dir)
})

const as = (key: string) => ({
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
})
const query = async (key: string, body: Record<string, unknown>) => {
  const res = await stack.post('/llm/query', body, as(key))
  expect(res.status).toBe(200)
  return res.json()
}
const stream = async (key: string, body: Record<string, unknown>) => {
  const res = await stack.post('/llm/chat/stream', body, as(key))
  expect(res.status).toBe(200)
  return res.text()
}

describe('a process reused after /clear', () => {
  it('serves the same key again, and nothing of the earlier run reaches the model', async () => {
    const first = await stream(alice, { prompt: 'ALPHA-SECRET', system: 'SYS-SAME' })
    expect(first).toContain('ECHO: ALPHA-SECRET')
    const before = await settled(stack, 2)

    const second = await query(alice, {
      prompt: 'beta',
      system: 'SYS-SAME',
      images: [{ data: PNG, media_type: 'image/png' }],
    })
    expect(second.text).toBe('ECHO: beta')
    const b = lastRequest(stack)
    const after = await settled(stack, 2)
    expect(after.reused).toBe(before.reused + 1)
    expect(systemText(b?.body ?? {})).toContain('SYS-SAME')
    expect(seen(b)).not.toContain('ALPHA-SECRET')
    expect(b?.body.messages?.filter((m) => m.role === 'assistant')).toEqual([])

    // The residue is the record of the command only: a few hundred characters, no content.
    const residue = residueOf(b)
    expect(residue).toMatch(
      /^<local-command-caveat>[^<]*<\/local-command-caveat>\n<command-name>\/clear<\/command-name>\s*<command-message>clear<\/command-message>\s*<command-args><\/command-args>\n<local-command-stdout><\/local-command-stdout>\n?$/
    )
    expect(residue.length).toBeLessThan(600)

    // And the image of run B is gone for run C, streamed this time.
    expect(await stream(alice, { prompt: 'gamma', system: 'SYS-SAME' })).toContain('ECHO: gamma')
    const c = lastRequest(stack)
    expect((await settled(stack, 2)).reused).toBe(after.reused + 1)
    expect(seen(c)).not.toContain('beta')
    expect(seen(c)).not.toContain('"image"')
    expect(seen(c)).not.toContain(PNG)
  })

  it('starts a new session each time', async () => {
    const one = await query(alice, { prompt: 'one', system: 'SYS-SESSION' })
    const before = await settled(stack, 2)
    const two = await query(alice, { prompt: 'two', system: 'SYS-SESSION' })
    expect((await settled(stack, 2)).reused).toBe(before.reused + 1)
    expect(two.session_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(two.session_id).not.toBe(one.session_id)
  })

  it('is waited for by a run that follows at once, rather than starting one cold', async () => {
    await query(alice, { prompt: 'RIGHT-BEFORE', system: 'SYS-FOLLOW' })
    const before = await settled(stack, 2)
    await query(alice, { prompt: 'first of two', system: 'SYS-FOLLOW' })
    // Sent the moment the previous answer is in: its process is still being reset.
    const next = await query(alice, { prompt: 'right after', system: 'SYS-FOLLOW' })
    expect(next.text).toBe('ECHO: right after')
    expect((await settled(stack, 2)).reused).toBe(before.reused + 2)
    expect(seen(lastRequest(stack))).not.toContain('first of two')
  })

  it('never goes to another key', async () => {
    await query(alice, { prompt: 'ALICE-ONLY', system: 'SYS-SHARED' })
    const before = await settled(stack, 2)
    const res = await query(bob, { prompt: 'bob here', system: 'SYS-SHARED' })
    expect(res.text).toBe('ECHO: bob here')
    expect((await settled(stack, 2)).reused).toBe(before.reused)
    expect(seen(lastRequest(stack))).not.toContain('ALICE-ONLY')
  })

  it('is not used for another system prompt or another model', async () => {
    await query(alice, { prompt: 'SYSTEM-RUN', system: 'SYS-ONE' })
    const before = await settled(stack, 2)
    await query(alice, { prompt: 'other system', system: 'SYS-TWO' })
    const other = lastRequest(stack)
    expect(systemText(other?.body ?? {})).toContain('SYS-TWO')
    expect(seen(other)).not.toContain('SYS-ONE')
    expect(seen(other)).not.toContain('SYSTEM-RUN')

    await query(alice, { prompt: 'MODEL-RUN', system: 'SYS-MODEL' })
    await settled(stack, 2)
    await query(alice, { prompt: 'other model', system: 'SYS-MODEL', model: 'sonnet' })
    const sonnet = lastRequest(stack)
    expect(sonnet?.body.model).toMatch(/sonnet/)
    expect(seen(sonnet)).not.toContain('MODEL-RUN')
    expect((await settled(stack, 2)).reused).toBe(before.reused)
  })

  it('is retired after a run aborted half-way, never reused', async () => {
    await query(alice, { prompt: 'warm up', system: 'SYS-ABORT' })
    const before = await settled(stack, 2)
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'HALF-WAY answer',
      chunks: 4,
      intervalMs: 3_000,
    }))
    const client = new AbortController()
    const res = await stack.post(
      '/llm/chat/stream',
      { prompt: 'ABORTED-PROMPT', system: 'SYS-ABORT' },
      { ...as(alice), signal: client.signal }
    )
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('HALF')) {
      const { done, value } = await reader.read()
      if (done) throw new Error(`the stream ended before the first words: ${text}`)
      text += new TextDecoder().decode(value)
    }
    client.abort()
    stack.mock.reset()

    // The aborted run had taken the reused process; it is retired, not parked again.
    const after = await waitFor(async () => {
      const p = await statusOf(stack)
      return p.busy === 0 && p.retired > before.retired && p
    })
    expect(after.reused).toBe(before.reused + 1)
    const next = await query(alice, { prompt: 'after abort', system: 'SYS-ABORT' })
    expect(next.text).toBe('ECHO: after abort')
    expect((await statusOf(stack)).reused).toBe(after.reused)
    expect(seen(lastRequest(stack))).not.toContain('ABORTED-PROMPT')
    expect(seen(lastRequest(stack))).not.toContain('HALF')
  })

  it('runs a prompt that looks like a command as a prompt', async () => {
    await query(alice, { prompt: 'KEEP-ME', system: 'SYS-CMD' })
    await settled(stack, 2)
    expect((await query(alice, { prompt: '/clear', system: 'SYS-CMD' })).text).toBe('ECHO: /clear')
  })
})

describe('reuse limits', () => {
  const sequence = async (options: Parameters<typeof startTestStack>[0]) => {
    const limited = await startTestStack({ warmProcesses: 1, ...options })
    statusKey = undefined
    try {
      await settled(limited, 1)
      for (const prompt of ['one', 'two', 'three']) {
        const res = await limited.post('/llm/chat', { prompt })
        expect((await res.json()).text).toBe(`ECHO: ${prompt}`)
        await settled(limited, 1)
      }
      return await statusOf(limited)
    } finally {
      await limited.close()
    }
  }

  it('retires a process after its runs per process', async () => {
    // one: fresh; two: reused; then worn out (2 runs), so three takes a fresh one.
    expect(await sequence({ runsPerProcess: 2 })).toMatchObject({ reused: 1, retired: 1 })
  })

  it('retires a process above the memory ceiling', async () => {
    // A CLI process holds well over 64 MiB, so none is reused.
    expect(await sequence({ maxProcessRssMb: 64 })).toMatchObject({ reused: 0, retired: 3 })
  })

  it('can be turned off', async () => {
    expect(await sequence({ reuseProcesses: false })).toMatchObject({ reused: 0, retired: 0 })
  })
})
