/**
 * Attacks on the server, each reproduced through the real CLI and the project's mock where the
 * CLI is involved; every test here failed on the code before its fix.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../../src/adapters/node/keys-file.js'
import { createNodeRunner } from '../../src/adapters/node/runner.js'
import { KeysFileError } from '../../src/errors.js'
import { startServer } from '../../src/runtime/node.js'
import { cliEnv, processesIn, removeDir, tempDir, waitFor } from '../helpers/cli-env.js'
import { lastUserMessage, type MockHandler, userText } from '../helpers/mock-anthropic.js'
import { startCli } from '../helpers/run-cli.js'
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

type ToolCall = { name: string; input: object }

/** A mock model that calls a tool once (chosen from the prompt), then answers "done". */
const callsToolOnce =
  (pick: (prompt: string) => ToolCall | undefined): MockHandler =>
  (request) => {
    const last = lastUserMessage(request.body)
    const answered =
      Array.isArray(last?.content) && last.content.some((block) => block?.type === 'tool_result')
    const call = answered ? undefined : pick(userText(last))
    return call ? { kind: 'tool', ...call } : { kind: 'text', text: 'done' }
  }

/** The tool results that reached the model: what a tool call gave away. */
const toolResults = (mock: TestStack['mock']) =>
  mock
    .messageRequests()
    .flatMap((r) => {
      const content = lastUserMessage(r.body)?.content
      return Array.isArray(content) ? (content as Array<{ type?: string; is_error?: boolean }>) : []
    })
    .filter((block) => block.type === 'tool_result')

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

describe('auth when the keys file goes away', () => {
  /** Past the keys file's once-a-second check. */
  const nextCheck = () => new Promise((resolve) => setTimeout(resolve, 1_100))

  it('refuses every request that needs a key until a valid file is back', async () => {
    const dir = await tempDir('keys')
    const keysFile = join(dir, 'keys')
    const { key } = await createKey(keysFile, { name: 'only', policy: { admin: true } })
    const keyed = await startTestStack({ keysFile })
    const get = (path: string, withKey: boolean) =>
      fetch(`${keyed.url}${path}`, withKey ? { headers: { authorization: `Bearer ${key}` } } : {})
    try {
      expect((await get('/admin/usage', true)).status).toBe(200)
      expect((await get('/admin/usage', false)).status).toBe(401)
      const saved = await readFile(keysFile, 'utf8')

      await rm(keysFile)
      await nextCheck()
      for (const withKey of [false, true]) {
        const res = await get('/admin/usage', withKey)
        expect(res.status).toBe(503)
        expect((await res.json()).type).toBe('keys_unavailable')
      }
      const chat = await keyed.post('/llm/chat', { prompt: 'no key' })
      expect(chat.status).toBe(503)
      expect(keyed.mock.messageRequests()).toHaveLength(0)
      expect((await fetch(`${keyed.url}/health`)).status).toBe(200)

      // Something unreadable in its place (a directory) is refused the same way.
      await mkdir(keysFile)
      await nextCheck()
      expect((await get('/admin/usage', true)).status).toBe(503)

      await rm(keysFile, { recursive: true })
      await writeFile(keysFile, saved, { mode: 0o600 })
      await nextCheck()
      expect((await get('/admin/usage', true)).status).toBe(200)
      expect((await get('/admin/usage', false)).status).toBe(401)
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 30_000)

  it('does not start when the keys file cannot be read', async () => {
    const dir = await tempDir('keys')
    await mkdir(join(dir, 'keys'))
    try {
      await expect(
        startServer({ port: 0, keysFile: join(dir, 'keys'), logLevel: 'silent' })
      ).rejects.toThrow(KeysFileError)
    } finally {
      await removeDir(dir)
    }
  })
})

describe('smaller findings', () => {
  it('a models probe that fails before starting the CLI gives its slot back', async () => {
    const dir = await tempDir('probe')
    const notADir = join(dir, 'file')
    await writeFile(notADir, '')
    const runner = createNodeRunner({
      workDir: notADir,
      maxConcurrency: 1,
      env: cliEnv(dir, stack.mock.url),
    })
    try {
      for (let i = 0; i < 3; i++) await expect(runner.models()).rejects.toThrow()
      expect((await runner.status()).capacity).toMatchObject({ running: 0, queued: 0 })
    } finally {
      await runner.close()
      await removeDir(dir)
    }
  })

  it.each([
    ['/llm/chat', { prompt: '   ' }, 422],
    ['/llm/chat/stream', { prompt: '' }, 422],
    ['/llm/json', { prompt: '\n' }, 422],
    ['/llm/query', { prompt: ' ', images: null }, 422],
    ['/v1/chat/completions', { model: 'haiku', messages: [{ role: 'user', content: ' ' }] }, 400],
    [
      '/v1/chat/completions',
      { model: 'haiku', messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] },
      400,
    ],
    [
      '/v1/messages',
      { model: 'haiku', max_tokens: 5, messages: [{ role: 'user', content: '  ' }] },
      400,
    ],
  ])('a blank prompt on %s is refused before the CLI starts', async (path, body, status) => {
    const before = stack.mock.messageRequests().length
    const res = await stack.post(path, body)
    expect(res.status).toBe(status)
    expect(JSON.stringify(await res.json())).toMatch(/prompt: is empty/)
    expect(stack.mock.messageRequests()).toHaveLength(before)
  })

  it.each([
    ['/llm/json', { prompt: 'json', schema: { type: 5 } }, 422, /schema: not a usable JSON Schema/],
    [
      '/v1/chat/completions',
      {
        model: 'haiku',
        messages: [{ role: 'user', content: 'json' }],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'x', schema: { $ref: '#/$defs/missing' } },
        },
      },
      400,
      /response_format\.json_schema\.schema: not a usable JSON Schema/,
    ],
  ])(
    'an unusable JSON Schema on %s is refused before the CLI starts',
    async (path, body, status, message) => {
      const before = stack.mock.messageRequests().length
      const res = await stack.post(path, body)
      expect(res.status).toBe(status)
      expect(JSON.stringify(await res.json())).toMatch(message)
      expect(stack.mock.messageRequests()).toHaveLength(before)
    }
  )

  it('/llm/status shows the binary path, login method and hosts to admin keys only', async () => {
    const dir = await tempDir('status')
    const keysFile = join(dir, 'keys')
    const admin = await createKey(keysFile, { name: 'admin', policy: { admin: true } })
    const user = await createKey(keysFile, { name: 'user' })
    const keyed = await startTestStack({ keysFile })
    const status = async (key: string) =>
      (
        await fetch(`${keyed.url}/llm/status`, { headers: { authorization: `Bearer ${key}` } })
      ).json()
    try {
      expect(await status(user.key)).toMatchObject({ binary_path: null, auth_method: null })
      expect(await status(admin.key)).toMatchObject({
        binary_path: expect.stringContaining('claude'),
        available: true,
      })
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  })
})

describe('one key cannot starve the others', () => {
  it('a key flooding the queue leaves room for another key, which is served next', async () => {
    const dir = await tempDir('fair')
    const keysFile = join(dir, 'keys')
    const a = await createKey(keysFile, { name: 'a', policy: { admin: true } })
    const b = await createKey(keysFile, { name: 'b' })
    const keyed = await startTestStack({ keysFile, maxConcurrency: 1, maxQueue: 2 })
    keyed.mock.setHandler((request) => {
      const text = userText(request.body.messages?.filter((m) => m.role === 'user').at(-1))
      return { kind: 'text', text: `ECHO: ${text}`, delayMs: text.startsWith('a') ? 1_500 : 0 }
    })
    const chat = async (key: string, prompt: string) => {
      const res = await keyed.post(
        '/llm/chat',
        { prompt },
        {
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        }
      )
      return { prompt, status: res.status, body: await res.json() }
    }
    try {
      const flood = ['a1', 'a2', 'a3', 'a4'].map((prompt) => chat(a.key, prompt))
      await waitFor(async () => {
        const status = await (
          await fetch(`${keyed.url}/llm/status`, { headers: { authorization: `Bearer ${a.key}` } })
        ).json()
        return status.capacity.running === 1 && status.capacity.queued === 2
      })
      const fromB = await chat(b.key, 'b1')
      expect(fromB).toMatchObject({ status: 200, body: { text: 'ECHO: b1' } })
      const results = await Promise.all(flood)
      expect(results.filter((r) => r.status === 200)).toHaveLength(2)
      expect(results.filter((r) => r.status === 429).map((r) => r.body.type)).toEqual([
        'queue_full',
        'queue_full',
      ])
      // b was served before a's second run: the slot went to the keys in turn.
      const order = keyed.mock.messageRequests().map((r) => userText(lastUserMessage(r.body)))
      expect(order.slice(0, 2)).toEqual(['a1', 'b1'])
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 30_000)
})

describe('every billed run is charged to its key', () => {
  let dir: string
  let keyed: TestStack
  let admin: string
  beforeAll(async () => {
    dir = await tempDir('charge')
    admin = (await createKey(join(dir, 'keys'), { name: 'admin', policy: { admin: true } })).key
    keyed = await startTestStack({ keysFile: join(dir, 'keys') })
  })
  afterAll(async () => {
    await keyed?.close()
    await removeDir(dir)
  })

  const withKey = (key: string) => ({
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  })
  const spentBy = async (hash: string) => {
    const usage = await (await fetch(`${keyed.url}/admin/usage`, withKey(admin))).json()
    return (usage.keys[hash.slice(0, 8)]?.today.usd as number | undefined) ?? 0
  }
  const budgetKey = (name: string) =>
    createKey(join(dir, 'keys'), { name, policy: { daily_usd: 0.000001 } })

  it('a run that ends in error_max_turns is charged what the CLI reports', async () => {
    const { key, record } = await budgetKey('turns')
    await new Promise((resolve) => setTimeout(resolve, 1_100)) // the keys file's next check
    keyed.mock.setHandler(() => ({ kind: 'tool', name: 'Read', input: { file_path: '/x' } }))
    const res = await keyed.post('/llm/query', { prompt: 'loop', max_turns: 1 }, withKey(key))
    expect((await res.json()).type).toBe('max_turns_exceeded')
    expect(await spentBy(record.hash)).toBeGreaterThan(0)
    const next = await keyed.post('/llm/chat', { prompt: 'again' }, withKey(key))
    expect(next.status).toBe(429)
    expect((await next.json()).type).toBe('quota_exceeded')
  })

  it('a stream the client abandons is charged from the usage the API reported', async () => {
    const { key, record } = await budgetKey('abandon')
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    keyed.mock.setHandler(() => ({
      kind: 'text',
      text: 'a long answer that the client will not wait for',
      chunks: 10,
      intervalMs: 300,
    }))
    const controller = new AbortController()
    const res = await keyed.post(
      '/llm/chat/stream',
      { prompt: 'go' },
      {
        ...withKey(key),
        signal: controller.signal,
      }
    )
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('"chunk"')) text += new TextDecoder().decode((await reader.read()).value)
    controller.abort()
    const spent = await waitFor(async () => (await spentBy(record.hash)) || undefined)
    expect(spent).toBeGreaterThan(0)
    const next = await keyed.post('/llm/chat', { prompt: 'again' }, withKey(key))
    expect(next.status).toBe(429)
  })
})

describe('runs leave nothing behind', () => {
  it("a run removes its directory and the CLI's folder for it", async () => {
    const projects = join(stack.home, '.claude', 'projects')
    stack.mock.reset()
    expect((await stack.post('/llm/chat', { prompt: 'tidy' })).status).toBe(200)
    const left = await readdir(projects).catch(() => [])
    expect(left.filter((name) => name.includes('runs'))).toEqual([])
    expect(await readdir(join(stack.workDir, 'runs'))).toEqual([])
  })

  it('kept sessions expire, and each key keeps at most its cap (oldest first)', async () => {
    const short = await startTestStack({ sessionTtlMs: 2_000, maxSessionsPerKey: 2 })
    const keep = async (prompt: string) =>
      (await (await short.post('/llm/query', { prompt, persist_session: true })).json()).session_id
    const resume = (session_id: string) => short.post('/llm/query', { prompt: 'again', session_id })
    try {
      const first = await keep('one')
      const second = await keep('two')
      const third = await keep('three')
      expect((await resume(first)).status).toBe(404)
      expect((await resume(third)).status).toBe(200)
      const sessions = join(short.workDir, 'sessions')
      expect((await readdir(sessions)).filter((n) => !n.endsWith('.owner')).sort()).toEqual(
        [second, third].sort()
      )
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      const expired = await resume(second)
      expect(expired.status).toBe(404)
      expect((await expired.json()).detail).toMatch(/expired/)
      expect(await readdir(sessions)).not.toContain(second)
    } finally {
      await short.close()
    }
  }, 30_000)
})

describe('shutdown on SIGTERM', () => {
  const serve = async (graceMs: number) => {
    const dir = await tempDir('shutdown')
    const server = await startCli(['serve', '--port', '0', '--keys-file', join(dir, 'keys')], {
      ...cliEnv(dir, stack.mock.url),
      CLAUDE_WORK_DIR: join(dir, 'work'),
      SHUTDOWN_GRACE_MS: String(graceMs),
    })
    return { dir, server, work: join(dir, 'work') }
  }

  it('lets a running run finish within the grace period, then exits 0 with nothing left', async () => {
    const { dir, server, work } = await serve(5_000)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'finished in time', delayMs: 1_000 }))
    try {
      const before = stack.mock.messageRequests().length
      const answer = fetch(`${server.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'slow' }),
      })
      // The run has reached the model (processes started ahead are in the work directory too).
      await waitFor(() => stack.mock.messageRequests().length > before)
      const exited = server.stop()
      const res = await answer
      expect(res.status).toBe(200)
      expect((await res.json()).text).toBe('finished in time')
      expect(await exited).toBe(0)
      expect(await readdir(join(work, 'runs'))).toEqual([])
      expect(await processesIn(dir)).toEqual([])
    } finally {
      await removeDir(dir)
    }
  }, 30_000)

  it('stops runs that outlast the grace period, and still leaves nothing', async () => {
    const { dir, server, work } = await serve(300)
    stack.mock.setHandler(() => ({ kind: 'text', text: 'too late', delayMs: 20_000 }))
    try {
      const before = stack.mock.messageRequests().length
      const answer = fetch(`${server.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'very slow' }),
      }).then(
        (res) => res.status,
        () => 'connection closed'
      )
      // The run has reached the model (processes started ahead are in the work directory too).
      await waitFor(() => stack.mock.messageRequests().length > before)
      expect(await server.stop()).toBe(0)
      expect([503, 'connection closed']).toContain(await answer)
      expect(await readdir(join(work, 'runs'))).toEqual([])
      const projects = await readdir(join(dir, '.claude', 'projects')).catch(() => [])
      expect(projects.filter((name) => name.includes('runs'))).toEqual([])
      expect(await processesIn(dir)).toEqual([])
    } finally {
      await removeDir(dir)
    }
  }, 30_000)
})

describe('file tools reach only the run directory', () => {
  it("reads, searches and writes outside it are refused: keys, other keys' sessions, owners", async () => {
    const dir = await tempDir('confine')
    const keysFile = join(dir, 'keys')
    const policy = { tools: ['Read', 'Grep', 'Write'] }
    const a = await createKey(keysFile, { name: 'a', policy })
    const b = await createKey(keysFile, { name: 'b', policy })
    const keyed = await startTestStack({ keysFile, allowedTools: ['Read', 'Grep', 'Write'] })
    const outside = join(dir, 'outside.txt')
    await writeFile(outside, 'OUTSIDE-SECRET')
    const asB = (prompt: string, tools: string[]) =>
      keyed.post(
        '/llm/query',
        { prompt, allowed_tools: tools, max_turns: 3 },
        { headers: { 'content-type': 'application/json', authorization: `Bearer ${b.key}` } }
      )
    try {
      const kept = await keyed.post(
        '/llm/query',
        { prompt: 'A-PRIVATE-PHRASE', persist_session: true },
        { headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` } }
      )
      const session = (await kept.json()).session_id as string
      const ownerFile = join(keyed.workDir, 'sessions', `${session}.owner`)
      const attacks: Record<string, { name: string; input: object }> = {
        'read the keys file': { name: 'Read', input: { file_path: keysFile } },
        'read outside': { name: 'Read', input: { file_path: outside } },
        'grep the config dir': {
          name: 'Grep',
          input: { pattern: 'A-PRIVATE-PHRASE', path: join(keyed.home, '.claude') },
        },
        'write an owner record': {
          name: 'Write',
          input: { file_path: ownerFile, content: b.record.hash },
        },
        'write inside': { name: 'Write', input: { file_path: 'note.txt', content: 'fine' } },
      }
      const attacker = callsToolOnce((prompt) => attacks[prompt])
      for (const [prompt, attack] of Object.entries(attacks)) {
        keyed.mock.reset()
        keyed.mock.setHandler(attacker)
        const res = await asB(prompt, [attack.name])
        expect(res.status, prompt).toBe(200)
        const [result] = toolResults(keyed.mock)
        const seen = JSON.stringify(result)
        if (prompt === 'write inside') {
          expect(result?.is_error, seen).toBeFalsy()
          continue
        }
        expect(result?.is_error, `${prompt}: ${seen}`).toBe(true)
        for (const secret of [a.record.hash, 'OUTSIDE-SECRET', 'A-PRIVATE-PHRASE', session]) {
          expect(seen, prompt).not.toContain(secret)
        }
      }
      expect(await readFile(ownerFile, 'utf8')).toBe(a.record.hash)
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 60_000)
})

describe('Bash runs only in a sandbox', () => {
  it('sees neither the keys file, nor the config directory, nor other runs; writes only its own', async () => {
    const dir = await tempDir('sandbox')
    const keysFile = join(dir, 'keys')
    const a = await createKey(keysFile, { name: 'a' })
    const b = await createKey(keysFile, { name: 'b', policy: { tools: ['Bash'] } })
    const keyed = await startTestStack({ keysFile, allowedTools: ['Bash'] })
    const json = (key: string) => ({
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    })
    // Not under /tmp: the sandbox has a /tmp of its own.
    const outsideNew = `/var/tmp/cca-created-by-bash-${process.pid}`
    try {
      await keyed.post(
        '/llm/query',
        { prompt: 'A-PRIVATE-PHRASE', persist_session: true },
        json(a.key)
      )
      const command = [
        `echo keys: $(cat ${keysFile})`,
        `echo config: $(grep -rl A-PRIVATE-PHRASE ${join(keyed.home, '.claude')})`,
        `echo work: $(ls ${join(keyed.workDir, 'sessions')})`,
        `touch ${outsideNew} 2>/dev/null || echo outside: refused`,
        'echo mine > mine.txt && echo inside: $(cat mine.txt)',
      ].join('; ')
      keyed.mock.setHandler(
        callsToolOnce(() => ({ name: 'Bash', input: { command, description: 'look around' } }))
      )
      const res = await keyed.post(
        '/llm/query',
        { prompt: 'look', allowed_tools: ['Bash'], max_turns: 3 },
        json(b.key)
      )
      expect(res.status).toBe(200)
      const [result] = toolResults(keyed.mock)
      const seen = JSON.stringify(result)
      expect(seen).toContain('keys: ')
      expect(seen).toContain('outside: refused')
      expect(seen).toContain('inside: mine')
      for (const secret of [a.record.hash, 'cca_', 'A-PRIVATE-PHRASE', '.jsonl']) {
        expect(seen).not.toContain(secret)
      }
      expect(seen).toContain(String.raw`config:\n`)
      expect(seen).toContain(String.raw`work:\n`)
      await expect(readFile(outsideNew)).rejects.toThrow()
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 60_000)

  it('is refused with a 403 before anything runs where there is no sandbox', async () => {
    const open = await startTestStack({ allowedTools: ['Bash'], runnerOptions: { sandbox: null } })
    try {
      const res = await open.post('/llm/query', { prompt: 'ls', allowed_tools: ['Bash'] })
      expect(res.status).toBe(403)
      expect((await res.json()).detail).toMatch(/OS sandbox \(bubblewrap\)/)
      expect(open.mock.messageRequests()).toHaveLength(0)
    } finally {
      await open.close()
    }
  })
})
