/**
 * GET /metrics on the real server (real CLI, mock API), read as Prometheus reads it: requests by
 * route pattern and status, runs by outcome and model, tokens, cost, upstream errors, capacity
 * and CLI processes; admin keys only when auth is on.
 */
import { join } from 'node:path'
import parse from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import type { KeyUsage } from '../../src/contract/usage.js'
import { createKey } from '../../src/runtime/node/keys.js'
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

type Family = {
  name: string
  type: string
  metrics: Array<{
    value?: string
    labels?: Record<string, string>
    buckets?: Record<string, string>
    count?: string
  }>
}

/** The exposition, parsed as a Prometheus client would (parse-prometheus-text-format). */
const families = (text: string) => new Map((parse(text) as Family[]).map((f) => [f.name, f]))

/** The value of the sample of `name` whose labels include `labels`. */
const value = (metrics: Map<string, Family>, name: string, labels: Record<string, string> = {}) => {
  const found = metrics
    .get(name)
    ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return found?.value === undefined ? undefined : Number(found.value)
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
    const metrics = families(text)
    const chat = { route: '/llm/chat', method: 'POST' }
    expect(value(metrics, 'cca_http_requests_total', { ...chat, status: '200' })).toBe(1)
    expect(value(metrics, 'cca_http_requests_total', { ...chat, status: '429' })).toBe(1)
    // An unknown path is counted under the catch-all pattern, never as itself.
    expect(text).not.toContain('/no/such/path')
    const ok = metrics.get('cca_runs_total')?.metrics.find((m) => m.labels?.outcome === 'ok')
    expect(ok).toEqual({
      value: '1',
      labels: { outcome: 'ok', model: expect.stringMatching(/^claude-haiku/) },
    })
    const model = ok?.labels?.model as string
    expect(value(metrics, 'cca_tokens_total', { kind: 'input', model })).toBeGreaterThan(0)
    expect(value(metrics, 'cca_cost_usd_total', { model })).toBeGreaterThan(0)
    expect(value(metrics, 'cca_upstream_errors_total', { type: 'rate_limited' })).toBe(1)
    expect(value(metrics, 'cca_runs', { state: 'max_concurrency' })).toBeGreaterThan(0)
    expect(value(metrics, 'cca_cli_processes', { state: 'started' })).toBeGreaterThanOrEqual(1)
    const ttfb = metrics.get('cca_http_time_to_first_byte_seconds')
    expect(ttfb?.type).toBe('HISTOGRAM')
    // (The parser keeps a labelled histogram's buckets but not its labels.)
    expect(ttfb?.metrics.some((m) => m.buckets?.['0.01'] !== undefined)).toBe(true)
    expect(text).toContain(
      'cca_http_time_to_first_byte_seconds_bucket{le="0.01",route="/llm/chat"}'
    )
    expect(value(metrics, 'cca_quota_rejected')).toBe(0)
    const wait = metrics.get('cca_run_start_wait_seconds')?.metrics[0]
    expect(Number(wait?.count)).toBeGreaterThanOrEqual(2)
  })

  it('needs an admin key when auth is on; shows the prompt cache per key and for the login', async () => {
    const dir = await tempDir('metrics')
    const keysFile = join(dir, 'keys')
    const user = (await createKey(keysFile, { name: 'user' })).key
    const admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
    const keyed = await startTestStack({ keysFile })
    try {
      expect((await scrape(keyed.url)).res.status).toBe(401)
      expect((await scrape(keyed.url, user)).res.status).toBe(403)
      expect((await scrape(keyed.url, admin)).res.status).toBe(200)

      // Two runs with the same long prefix: the second reads what the first wrote (the mock
      // caches as the API does).
      const as = {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
      }
      for (const prompt of ['first', 'second']) {
        expect((await keyed.post('/llm/chat', { prompt }, as)).status).toBe(200)
      }
      const calls = keyed.mock.messageRequests().length
      expect(calls).toBe(2)
      const usage = await (
        await fetch(`${keyed.url}/admin/usage`, { headers: { authorization: `Bearer ${admin}` } })
      ).json()
      const today = (Object.values(usage.keys) as KeyUsage[]).find((k) => k.name === 'user')?.today
      expect(today?.cache_write_tokens).toBeGreaterThan(1_000)
      expect(today?.cache_read_tokens).toBeGreaterThan(1_000)
      const ratio =
        (today?.cache_read_tokens ?? 0) /
        ((today?.input_tokens ?? 0) +
          (today?.cache_read_tokens ?? 0) +
          (today?.cache_write_tokens ?? 0))
      const metrics = families((await scrape(keyed.url, admin)).text)
      expect(value(metrics, 'cca_cache_hit_ratio', { key: 'user' })).toBeCloseTo(ratio, 6)
      const login = metrics.get('cca_cache_hit_ratio')?.metrics.find((m) => !m.labels?.key)
      expect(Number(login?.value)).toBeCloseTo(ratio, 6)
      expect(value(metrics, 'cca_tokens_total', { kind: 'cache_read' })).toBe(
        today?.cache_read_tokens
      )
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  })
})
