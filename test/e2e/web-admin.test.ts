/**
 * The operator's dashboard in a real Chromium (Debian's, driven by playwright-core) against the
 * real server, the real CLI on a subscription login and the mock Messages API: a key's spend
 * against its budget, the 30-day chart's totals, the quota windows, a run shown while it runs,
 * and a readable refusal (with no data) for a key that is not an admin's.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createKey } from '../../src/runtime/node/keys.js'
import type { Usage } from '../../web/admin/api.js'
import { launchChromium, SCREENSHOTS } from '../helpers/browser.js'
import { clientSpan } from '../helpers/client-span.js'
import { epoch, unifiedHeaders } from '../helpers/quota-headers.js'
import { runCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let browser: Browser
let dir: string
let admin: string
let alice: string

beforeAll(async () => {
  dir = await tempDir('web-admin')
  const keysFile = join(dir, 'keys')
  admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  alice = (await createKey(keysFile, { name: 'alice', policy: { daily_usd: 5 } })).key
  stack = await startTestStack({ keysFile, subscription: true })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await removeDir(dir)
})

const chatAs = (key: string, prompt: string) =>
  stack.post(
    '/llm/chat',
    { prompt },
    { headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } }
  )

/** The dashboard in a fresh context with `key` typed in, and every URL it asked for. */
const openDashboard = async (key: string) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  const requested: string[] = []
  page.on('request', (request) => requested.push(request.url()))
  const response = await page.goto(`${stack.url}/admin`)
  expect(response?.status()).toBe(200)
  await page.getByLabel('Admin key').fill(key)
  await page.getByLabel('Admin key').dispatchEvent('change')
  return { page, requested, close: () => context.close() }
}

const tableText = (page: Page, id: string) => page.locator(`#${id} tbody`).textContent()

describe('the dashboard', () => {
  it('refuses a key that is not an admin, or a wrong one, in words and with no data', async () => {
    await chatAs(alice, 'hello')
    for (const [key, said] of [
      [alice, /not an admin key/],
      ['cca_wrong_wrong_wrong_wrong_wrong_wrong', /not known to the server/],
    ] as const) {
      const { page, close } = await openDashboard(key)
      await expect.poll(() => page.locator('#notice').textContent()).toMatch(said)
      expect(await page.locator('#board').isHidden()).toBe(true)
      expect(await tableText(page, 'keys')).not.toContain('alice')
      await close()
    }
  })

  it("shows a key's spend against its budget, the 30 days' totals, the quota and the runs as they go", async () => {
    const headers = unifiedHeaders('allowed_warning', 0.42, epoch(2 * 3600 + 600))
    stack.mock.setHandler(() => ({ kind: 'text', text: 'fine', headers }))
    for (const prompt of ['one', 'two']) expect((await chatAs(alice, prompt)).status).toBe(200)
    const expected = (await (
      await fetch(`${stack.url}/admin/usage?days=30`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json()) as Usage
    const mine = Object.values(expected.keys).find((k) => k.name === 'alice')
    expect(mine?.today.runs).toBe(3)

    const { page, requested, close } = await openDashboard(admin)
    const keys = page.locator('#keys tbody tr', { hasText: 'alice' })
    await expect.poll(() => keys.textContent()).toContain(`of $5.00`)
    expect(await keys.textContent()).toContain(`$${mine?.today.usd.toFixed(4)}`)
    expect(await keys.locator('td').nth(1).textContent()).toBe('3')
    // The prompt cache's hits today, per key and for all keys (the mock caches as the API does).
    const t = mine?.today as Usage['keys'][string]['today']
    const hits = t.cache_read_tokens / (t.input_tokens + t.cache_read_tokens + t.cache_write_tokens)
    expect(hits).toBeGreaterThan(0)
    expect(await keys.locator('td').nth(3).textContent()).toBe(`${Math.round(hits * 100)}%`)
    expect(await page.locator('#cache-login').textContent()).toMatch(/all keys \(the login\): \d+%/)
    // The chart adds up to what the usage store holds, for every key and for one.
    const totalRuns = Object.values(expected.keys).reduce((sum, k) => sum + k.total.runs, 0)
    await expect
      .poll(() => page.locator('#history-chart').getAttribute('data-total'))
      .toBe(String(totalRuns))
    expect(await page.locator('#history-chart canvas').count()).toBeGreaterThan(0)
    await page.getByLabel('Key', { exact: true }).selectOption({ label: 'alice' })
    expect(await page.locator('#history-chart').getAttribute('data-total')).toBe('3')
    await page.getByLabel('Show').selectOption('usd')
    expect(await page.locator('#history-totals').textContent()).toContain(
      `$${mine?.total.usd.toFixed(4)}`
    )
    // The login's windows after the rate-limit report, with the reset as a countdown.
    const fiveHour = page.locator('[data-window="five_hour"]')
    await expect
      .poll(() => fiveHour.textContent())
      .toMatch(/5-hour window: 42% used, resets in 2 h (9|10) min/)
    expect(await page.locator('[data-window="seven_day"]').textContent()).toMatch(/40% used/)

    // A run shows while it runs, and goes when it ends.
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 4_000 }))
    const pending = chatAs(alice, 'slow one')
    const running = page.locator('#runs tbody tr', { hasText: 'alice' })
    await expect.poll(() => running.textContent(), { timeout: 10_000 }).toMatch(/haiku|default/)
    await page.getByLabel('Show').selectOption('runs')
    await page.screenshot({ path: join(SCREENSHOTS, 'admin.png'), fullPage: true })
    expect((await pending).status).toBe(200)
    await expect.poll(() => tableText(page, 'runs'), { timeout: 10_000 }).toBe('Nothing running')

    // A failed run is listed with its trace id, for the tracing backend.
    stack.mock.setHandler(() => ({ kind: 'error', status: 400, message: 'refused upstream' }))
    const traced = clientSpan()
    const failed = await stack.post(
      '/llm/chat',
      { prompt: 'fails' },
      {
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${alice}`,
          traceparent: traced.traceparent,
        },
      }
    )
    expect(failed.status).toBeGreaterThanOrEqual(400)
    const failure = page.locator(`#failures tbody tr[data-trace="${traced.traceId}"]`)
    await expect.poll(() => failure.count(), { timeout: 10_000 }).toBe(1)
    expect(await failure.textContent()).toContain('alice')
    expect(await failure.locator('code').textContent()).toBe(traced.traceId)

    // Everything came from the server itself.
    expect(requested.every((url) => url.startsWith(stack.url))).toBe(true)
    await close()
  }, 60_000)

  it('the command line reads the same state: `status --url` with an admin key, refused without', async () => {
    const headers = unifiedHeaders('allowed_warning', 0.42, epoch(3600))
    stack.mock.setHandler(() => ({ kind: 'text', text: 'fine', headers }))
    expect((await chatAs(alice, 'one')).status).toBe(200)
    const shown = await runCli(['status', '--url', stack.url, '--key', admin])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/^Runs: 0 running of \d+, 0 queued/m)
    expect(shown.stdout).toMatch(/^Quota: allowed.*five_hour 42%/m)
    expect(shown.stdout).toContain('Nothing running')
    const refused = await runCli(['status', '--url', stack.url, '--key', alice])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('This endpoint needs an admin key')
    expect(refused.stdout).toBe('')
  })
})
