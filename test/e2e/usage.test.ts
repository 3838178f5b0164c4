/**
 * Usage that survives a restart, on the real server, CLI and mock: a key over its daily budget
 * stays refused by the next server on the same database; /admin/usage and `keys usage` read it;
 * a Node front door over runner hosts keeps keys and usage itself.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import type { KeyUsage } from '../../src/contract/usage.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { type Fleet, startFleet } from '../helpers/fleet.js'
import { runCli, startCli } from '../helpers/run-cli.js'
import { startTestStack } from '../helpers/test-stack.js'

let dir: string
let keysFile: string
let usageDb: string
let spender: string
let admin: string
beforeAll(async () => {
  dir = await tempDir('usage-e2e')
  keysFile = join(dir, '.api-keys')
  usageDb = join(dir, 'data', 'usage.db')
  spender = (await createKey(keysFile, { name: 'spender', policy: { daily_usd: 0.0001 } })).key
  admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
})
afterAll(async () => {
  await removeDir(dir)
})

const as = (key: string) => ({
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
})

describe('a daily budget across a restart', () => {
  it('is still spent for the next server on the same database', async () => {
    const first = await startTestStack({ keysFile, usageDb })
    try {
      // The one run the budget admits is capped at what is left of it, which it spends; its
      // answer, paid for, is given (the CLI checks the budget once the call is over).
      const capped = await first.post('/llm/chat', { prompt: 'one' }, as(spender))
      expect(capped.status).toBe(200)
      expect(await capped.json()).toMatchObject({ text: 'ECHO: one', stop_reason: 'end_turn' })
      const over = await first.post('/llm/chat', { prompt: 'two' }, as(spender))
      expect(over.status).toBe(429)
      expect((await over.json()).type).toBe('quota_exceeded')
    } finally {
      await first.close()
    }

    const second = await startTestStack({ keysFile, usageDb })
    try {
      const refused = await second.post('/llm/chat', { prompt: 'three' }, as(spender))
      expect(refused.status).toBe(429)
      expect((await refused.json()).detail).toContain('daily budget')
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
      // Refused before any CLI started: nothing reached the model.
      expect(second.mock.messageRequests()).toHaveLength(0)

      const usage = await (await fetch(`${second.url}/admin/usage`, as(admin))).json()
      const today = new Date().toISOString().slice(0, 10)
      const mine = Object.values(usage.keys).find(
        (u) => (u as { name: string }).name === 'spender'
      ) as { today: { runs: number; usd: number }; days: Array<{ date: string }> }
      expect(mine.today.runs).toBe(1)
      expect(mine.today.usd).toBeGreaterThan(0.0001)
      expect(mine.days.map((d) => d.date)).toEqual([today])

      // The same numbers in the terminal: from the file (while the server runs), and over HTTP.
      const fromFile = await runCli(['keys', 'usage', '--usage-db', usageDb])
      expect(fromFile.code, fromFile.stderr).toBe(0)
      expect(fromFile.stdout).toMatch(/spender\s+1\s+\$0\.\d+\s+1\s+\$0\.\d+\s+-/)
      expect(fromFile.stdout).toContain(today)
      const overHttp = await runCli([
        'keys',
        'usage',
        '--url',
        second.url,
        '--key',
        admin,
        '--json',
      ])
      expect(overHttp.code, overHttp.stderr).toBe(0)
      expect(JSON.parse(overHttp.stdout).keys).toEqual(usage.keys)
      const notAdmin = await runCli(['keys', 'usage', '--url', second.url, '--key', spender])
      expect(notAdmin.code).toBe(1)
      expect(notAdmin.stderr).toContain('needs an admin key')
    } finally {
      await second.close()
    }
  }, 60_000)

  it('keys usage says so when there is no database yet', async () => {
    const none = await runCli(['keys', 'usage', '--usage-db', join(dir, 'nothing.db')])
    expect(none.code).toBe(0)
    expect(none.stdout).toContain('No usage recorded yet')
  })
})

describe('a budget that cannot pay for a run', () => {
  it('is refused at admission, with no model call made, also after a restart', async () => {
    const db = join(dir, 'data', 'floor.db')
    const spentBy = async (url: string, name: string) => {
      const usage = await (await fetch(`${url}/admin/usage`, as(admin))).json()
      const found = Object.values(usage.keys as Record<string, KeyUsage>).find(
        (u) => u.name === name
      )
      return found?.today.usd ?? 0
    }
    // What one run costs here, seen by the server on an unbudgeted key.
    const first = await startTestStack({ keysFile, usageDb: db })
    let cost: number
    try {
      expect((await first.post('/llm/chat', { prompt: 'price' }, as(admin))).status).toBe(200)
      cost = await spentBy(first.url, 'ops')
      expect(cost).toBeGreaterThan(0)
    } finally {
      await first.close()
    }
    // A key that can afford one such run, and not two.
    const { key } = await createKey(keysFile, {
      name: 'one-run',
      policy: { daily_usd: cost * 1.5 },
    })
    const second = await startTestStack({ keysFile, usageDb: db })
    try {
      const one = await second.post('/llm/chat', { prompt: 'one' }, as(key))
      expect(one.status).toBe(200)
      const reached = second.mock.messageRequests().length
      const two = await second.post('/llm/chat', { prompt: 'two' }, as(key))
      expect(two.status).toBe(429)
      expect(Number(two.headers.get('retry-after'))).toBeGreaterThan(2)
      const body = await two.json()
      expect(body.type).toBe('quota_exceeded')
      expect(body.detail).toMatch(/has \$[\d.e-]+ left of its daily budget .* at the least/)
      expect(second.mock.messageRequests()).toHaveLength(reached)
      expect(await spentBy(second.url, 'one-run')).toBeLessThanOrEqual(cost * 1.5)
    } finally {
      await second.close()
    }
    const third = await startTestStack({ keysFile, usageDb: db })
    try {
      const refused = await third.post('/llm/chat', { prompt: 'three' }, as(key))
      expect(refused.status).toBe(429)
      expect((await refused.json()).detail).toMatch(/at the least/)
      expect(third.mock.messageRequests()).toHaveLength(0)
    } finally {
      await third.close()
    }
  }, 60_000)
})

describe('a budget spent mid-way', () => {
  it('gives what the run made, and makes no call it cannot pay for', async () => {
    const budgeted = async (name: string, tools?: string[]) =>
      (await createKey(keysFile, { name, policy: { daily_usd: 0.0001, tools } })).key
    const keys = {
      native: await budgeted('midway-native', ['Read']),
      tools: await budgeted('midway-tools'),
    }
    const stack = await startTestStack({
      keysFile,
      usageDb: join(dir, 'data', 'midway.db'),
      allowedTools: ['Read'],
    })
    // The model says something and calls a tool; once it has a tool's result, it answers.
    stack.mock.setHandler((request) =>
      JSON.stringify(request.body.messages).includes('tool_result')
        ? { kind: 'text', text: 'It is noon.' }
        : {
            kind: 'tool',
            name: request.body.tools?.find((t) => t.name.endsWith('get_time'))?.name ?? 'Read',
            input: { file_path: '/etc/hostname' },
            text: 'Let me look.',
          }
    )
    try {
      // The CLI's own Read: the call spends the budget, and the run stops before the tool runs.
      const native = await stack.post(
        '/llm/query',
        { prompt: 'What time is it?', allowed_tools: ['Read'], max_turns: 3 },
        as(keys.native)
      )
      expect(native.status).toBe(200)
      expect(await native.json()).toMatchObject({ text: 'Let me look.', stop_reason: 'budget' })
      expect(stack.mock.messageRequests()).toHaveLength(1)

      // The client's tool: its call goes to the client (that call spent the budget); with its
      // result the run would need another call, which the budget refuses before it is made.
      const ask = {
        model: 'haiku',
        max_tokens: 100,
        tools: [{ name: 'get_time', description: 'The time', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'What time is it?' }],
      }
      const first = await (await stack.post('/v1/messages', ask, as(keys.tools))).json()
      expect(first.stop_reason).toBe('tool_use')
      const call = first.content.find((b: { type: string }) => b.type === 'tool_use')
      const reached = stack.mock.messageRequests().length
      const answer = await stack.post(
        '/v1/messages',
        {
          ...ask,
          messages: [
            ...ask.messages,
            { role: 'assistant', content: first.content },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: call.id, content: 'noon' }],
            },
          ],
        },
        as(keys.tools)
      )
      expect(answer.status).toBe(422)
      expect((await answer.json()).error.message).toMatch(/budget/)
      // Spent: the next run is refused at admission.
      const again = await stack.post('/v1/messages', ask, as(keys.tools))
      expect(again.status).toBe(429)
      expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(stack.mock.messageRequests()).toHaveLength(reached)
    } finally {
      await stack.close()
    }
  }, 60_000)
})

describe('a Node front door over runner hosts', () => {
  let fleet: Fleet
  beforeAll(async () => {
    fleet = await startFleet('node-front', (home, mockUrl) => cliEnv(home, mockUrl), {
      keysFile,
      usageDb: join(dir, 'front.db'),
    })
  })
  afterAll(async () => {
    await fleet?.close()
  })

  it('runs on the hosts, with keys, usage, the chat page and metrics at the front door', async () => {
    const url = fleet.front.url
    expect((await fetch(`${url}/llm/models`)).status).toBe(401)
    const res = await fetch(`${url}/llm/chat`, {
      method: 'POST',
      ...as(admin),
      body: JSON.stringify({ prompt: 'through the front door' }),
    })
    expect(res.status).toBe(200)
    expect((await res.json()).text).toBe('ECHO: through the front door')
    expect(fleet.mocks.flatMap((m) => m.messageRequests())).toHaveLength(1)
    const usage = await (await fetch(`${url}/admin/usage`, as(admin))).json()
    expect(Object.values(usage.keys)).toEqual([expect.objectContaining({ name: 'ops' })])
    expect((await fetch(`${url}/chat`)).status).toBe(200)
    const metrics = await (await fetch(`${url}/metrics`, as(admin))).text()
    expect(metrics).toMatch(/cca_runs_total\{[^}]*outcome="ok"[^}]*\} 1/)
  })

  it('`serve --runner-url` starts one from the command line', async () => {
    const [a, b] = fleet.hosts.map((h) => h.url)
    const front = await startCli(
      ['serve', '--port', '0', '--runner-url', a as string, '--runner-url', b as string],
      {
        RUNNER_TOKEN: 'a-long-random-runner-token',
        USAGE_DB: join(dir, 'cli-front.db'),
        API_KEYS_FILE: join(dir, 'no-keys'),
        LOG_LEVEL: 'info',
      }
    )
    try {
      const status = await (await fetch(`${front.url}/llm/status`)).json()
      expect(status.binary_source).toBe('remote')
      expect(status.hosts).toHaveLength(2)
      const res = await fetch(`${front.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'from the command line' }),
      })
      expect((await res.json()).text).toBe('ECHO: from the command line')
    } finally {
      await front.stop()
    }
  })
})
