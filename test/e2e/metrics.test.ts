/**
 * GET /metrics on the real server (real CLI, mock API), read as Prometheus reads it: requests by
 * route pattern and status, runs by outcome and model, tokens, cost, upstream errors, capacity
 * and CLI processes; admin keys only when auth is on.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../../src/adapters/node/keys-file.js'
import { removeDir, tempDir } from '../helpers/cli-env.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack({ warmProcesses: 1 })
})
afterAll(() => stack?.close())

const scrape = async (url: string, key?: string) => {
  const res = await fetch(`${url}/metrics`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  })
  return { res, text: await res.text() }
}

/** The value of one sample, by name and exact labels. */
const sample = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('GET /metrics', () => {
  it('counts requests, runs, tokens, cost and upstream errors, and shows the runner', async () => {
    expect((await stack.post('/llm/chat', { prompt: 'hi' })).status).toBe(200)
    stack.mock.setHandler(() => ({ kind: 'error', status: 429, type: 'rate_limit_error' }))
    expect((await stack.post('/llm/chat', { prompt: 'limited' })).status).toBe(429)
    stack.mock.reset()
    await fetch(`${stack.url}/no/such/path/123`)

    const { res, text } = await scrape(stack.url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(
      sample(text, 'cca_http_requests_total', 'route="/llm/chat",method="POST",status="200"')
    ).toBe(1)
    expect(
      sample(text, 'cca_http_requests_total', 'route="/llm/chat",method="POST",status="429"')
    ).toBe(1)
    // An unknown path is counted under the catch-all pattern, never as itself.
    expect(text).not.toContain('/no/such/path')
    expect(text).toMatch(/cca_runs_total\{outcome="ok",model="claude-haiku[^"]*"\} 1/)
    expect(text).toMatch(/cca_tokens_total\{kind="input",model="claude-haiku[^"]*"\} [1-9]/)
    expect(text).toMatch(/cca_cost_usd_total\{model="claude-haiku[^"]*"\} 0\.\d+/)
    expect(sample(text, 'cca_upstream_errors_total', 'type="rate_limited"')).toBe(1)
    expect(sample(text, 'cca_runs', 'state="max_concurrency"')).toBeGreaterThan(0)
    expect(sample(text, 'cca_cli_processes', 'state="started"')).toBeGreaterThanOrEqual(1)
    expect(text).toContain(
      'cca_http_time_to_first_byte_seconds_bucket{le="0.01",route="/llm/chat"}'
    )
    expect(text).toContain('cca_quota_rejected 0')
    expect(text).toMatch(/cca_run_start_wait_seconds_count [2-9]/)
  })

  it('needs an admin key when auth is on', async () => {
    const dir = await tempDir('metrics')
    const keysFile = join(dir, 'keys')
    const user = (await createKey(keysFile, { name: 'user' })).key
    const admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
    const keyed = await startTestStack({ keysFile })
    try {
      expect((await scrape(keyed.url)).res.status).toBe(401)
      expect((await scrape(keyed.url, user)).res.status).toBe(403)
      expect((await scrape(keyed.url, admin)).res.status).toBe(200)
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  })
})
