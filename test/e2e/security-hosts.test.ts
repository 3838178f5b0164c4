/**
 * A runner host is not trusted: a fake one (the real ones cannot be made to lie) answers a real
 * Node front door with negative costs, missing usage, a negative `billed`, a quota window name
 * carrying CR/LF, a 64 MiB line, and a run held open past its deadline. Before, these drove a
 * key's spend to −$3,099, made every later request of every key a 500, cost quadratic CPU (a
 * 16 MiB line took 4 s, `/health` stalled 14 s), and held runs forever.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type RunningServer, startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'

const TOKEN = 'a-long-random-runner-token'
const usage = {
  input_tokens: 10,
  output_tokens: 5,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
}
const result = (overrides: Record<string, unknown> = {}) => ({
  type: 'result',
  result: {
    text: 'fine',
    sessionId: null,
    model: 'claude-haiku-5-5',
    numTurns: 1,
    totalCostUsd: 0.0001,
    durationMs: 5,
    usage,
    modelUsage: null,
    ...overrides,
  },
})
const line = (value: unknown) => `${JSON.stringify(value)}\n`

/** What the fake host does with a run, by its prompt. */
const behaviours: Record<string, (res: ServerResponse) => void> = {
  honest: (res) => res.end(line({ type: 'started' }) + line(result())),
  negative: (res) => res.end(line({ type: 'started' }) + line(result({ totalCostUsd: -3099 }))),
  'negative-tokens': (res) =>
    res.end(line(result({ usage: { ...usage, output_tokens: -1e9 }, totalCostUsd: 0 }))),
  'missing-usage': (res) => res.end(line(result({ usage: null, totalCostUsd: -12, model: null }))),
  'negative-billed': (res) =>
    res.end(
      line({ type: 'started' }) +
        line({
          type: 'error',
          error: {
            type: 'upstream_error',
            message: 'failed',
            billed: { costUsd: -50, usage: null, model: null },
          },
        })
    ),
  'crlf-window': (res) =>
    res.end(
      line({
        type: 'quota',
        quota: {
          status: 'allowed_warning',
          window: 'five_hour\r\nx-evil: 1',
          resets_at: null,
          overage_status: null,
          overage_disabled_reason: null,
          using_overage: false,
          windows: { 'five_hour\r\nx-evil: 1': { utilization: 0.9, resets_at: null } },
          seen_at: new Date().toISOString(),
        },
      }) + line(result())
    ),
  'huge-line': (res) => {
    res.write(line({ type: 'started' }))
    const chunk = 'x'.repeat(1024 * 1024)
    res.write('{"type":"text_delta","text":"')
    let sent = 0
    const more = () => {
      while (sent < 64) {
        sent++
        if (!res.write(chunk)) return void res.once('drain', more)
      }
      res.end('"}\n')
    }
    more()
  },
  // Keeps the run open, with keep-alive lines, whatever its deadline says.
  'past-deadline': (res) => {
    res.write(line({ type: 'started' }))
    const timer = setInterval(() => res.write('\n'), 100)
    res.on('close', () => clearInterval(timer))
  },
}

const host = createServer((req, res) => {
  const path = req.url ?? ''
  res.setHeader('content-type', 'application/json')
  if (path === '/runner/v1/health')
    return void res.end(JSON.stringify({ protocol: 1, status: 'ok' }))
  if (path === '/runner/v1/models') return void res.end(JSON.stringify({ models: [] }))
  if (path === '/runner/v1/status') return void res.end(JSON.stringify({}))
  let body = ''
  req.on('data', (chunk) => (body += chunk))
  req.on('end', () => {
    const { prompt } = JSON.parse(body || '{}') as { prompt?: string }
    res.setHeader('content-type', 'application/x-ndjson')
    const act = behaviours[prompt ?? ''] ?? behaviours.honest
    act?.(res)
  })
})

let dir: string
let front: RunningServer
let attacker: string
let other: string
let admin: string

const as = (key: string) => ({
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
})
const ask = (key: string, prompt: string, extra: Record<string, unknown> = {}) =>
  fetch(`${front.url}/llm/query`, {
    method: 'POST',
    ...as(key),
    body: JSON.stringify({ prompt, ...extra }),
  })
const spentBy = async (name: string) => {
  const report = await (await fetch(`${front.url}/admin/usage`, as(admin))).json()
  const entry = Object.values(
    report.keys as Record<string, { name: string; total: { usd: number } }>
  ).find((k) => k.name === name)
  return entry?.total.usd ?? 0
}

beforeAll(async () => {
  dir = await tempDir('liar-host')
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve))
  const keysFile = join(dir, 'keys')
  attacker = (await createKey(keysFile, { name: 'attacker', policy: { daily_usd: 100 } })).key
  other = (await createKey(keysFile, { name: 'other' })).key
  admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  front = await startServer({
    port: 0,
    logLevel: 'silent',
    keysFile,
    usageDb: join(dir, 'usage.db'),
    runnerUrls: [`http://127.0.0.1:${(host.address() as AddressInfo).port}`],
    runnerToken: TOKEN,
  })
})
afterAll(async () => {
  await front?.close()
  host.closeAllConnections()
  host.close()
  await removeDir(dir)
})

describe('a runner host that lies', () => {
  it('cannot drive a key’s spend below zero: negative costs, tokens, billed, missing usage', async () => {
    for (const prompt of ['negative', 'negative-tokens', 'missing-usage', 'negative-billed']) {
      const res = await ask(attacker, prompt)
      expect(res.status, prompt).toBe(502)
      expect((await res.json()).type, prompt).toBe('protocol_error')
    }
    // Each broken run is charged the key's reservation (its budget left, at most $1).
    expect(await spentBy('attacker')).toBeCloseTo(4, 6)
    // The other key's runs go on.
    const fine = await ask(other, 'honest')
    expect(fine.status).toBe(200)
    expect((await fine.json()).text).toBe('fine')
  }, 60_000)

  it('cannot break answers with a CR/LF quota window: later requests of every key still answer', async () => {
    const res = await ask(attacker, 'crlf-window')
    expect(res.status).toBe(502)
    for (const key of [other, attacker]) {
      const later = await ask(key, 'honest')
      expect(later.status).toBe(200)
      expect([...later.headers.keys()].some((name) => name.includes('evil'))).toBe(false)
    }
    const openai = await fetch(`${front.url}/v1/chat/completions`, {
      method: 'POST',
      ...as(other),
      body: JSON.stringify({ model: 'haiku', messages: [{ role: 'user', content: 'honest' }] }),
    })
    expect(openai.status).toBe(200)
  }, 60_000)

  it('cannot stall the front door with a 64 MiB line: refused as a protocol error, /health answers', async () => {
    const run = ask(attacker, 'huge-line')
    const health = await fetch(`${front.url}/health`)
    expect(health.status).toBe(200)
    const res = await run
    expect(res.status).toBe(502)
    expect((await res.json()).detail).toMatch(/longer than 4 MiB/)
    expect((await ask(other, 'honest')).status).toBe(200)
  }, 60_000)

  it('cannot hold a run past its deadline: the front door ends it', async () => {
    const res = await ask(attacker, 'past-deadline', { timeout_ms: 1_000 })
    expect(res.status).toBe(504)
    expect((await res.json()).type).toBe('deadline_exceeded')
    expect((await ask(other, 'honest')).status).toBe(200)
  }, 60_000)
})
