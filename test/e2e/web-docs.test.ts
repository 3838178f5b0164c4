/**
 * /docs in a real Chromium: Swagger UI works under its Content Security Policy (a violation would
 * show as a blank page and a console error), and a key typed into Authorize is not kept in the
 * browser's storage. And the dashboard's key never reaches the chat page one link away.
 */
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { launchChromium } from '../helpers/browser.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let browser: Browser
let dir: string
let admin: string

beforeAll(async () => {
  dir = await tempDir('web-docs')
  const keysFile = join(dir, 'keys')
  admin = (await createKey(keysFile, { name: 'ops', policy: { admin: true } })).key
  stack = await startTestStack({ keysFile })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await removeDir(dir)
})

describe('/docs', () => {
  it('answers with a Content Security Policy that allows only its own inline script', async () => {
    const res = await fetch(`${stack.url}/docs`)
    const policy = res.headers.get('content-security-policy') ?? ''
    expect(policy).toContain("default-src 'none'")
    expect(policy).toContain("connect-src 'self'")
    expect(policy).toMatch(
      /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'$|script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/
    )
    expect(await res.text()).toContain('persistAuthorization: false')
  })

  it('renders under that policy, and keeps a key typed into Authorize out of storage', async () => {
    const context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    await page.goto(`${stack.url}/docs`)
    await expect
      .poll(() => page.locator('.swagger-ui .info .title').textContent())
      .toMatch(/Claude Code API/)
    await page.locator('.auth-wrapper .authorize').click()
    await page.locator('.auth-container input[type=text]').first().fill(admin)
    await page.locator('.auth-container .modal-btn.auth.authorize').first().click()
    await expect
      .poll(() => page.locator('.auth-container .modal-btn').first().textContent())
      .toMatch(/Logout/)
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }))
    expect(stored).not.toContain(admin)
    expect(violations).toEqual([])
    await context.close()
  })
})

describe('the dashboard', () => {
  it('keeps its admin key to itself: the chat page it links to does not find it', async () => {
    const context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    await page.goto(`${stack.url}/admin`)
    await page.getByLabel('Admin key').fill(admin)
    await page.getByRole('link', { name: 'Chat' }).click()
    await page.waitForURL(/\/chat$/)
    expect(await page.getByLabel(/key/i).first().inputValue()).toBe('')
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).not.toContain(admin)
    await context.close()
  })
})
