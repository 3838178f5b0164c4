/**
 * The chat page's errors as a person reads them, in Chromium against real servers: busy (with
 * the wait the server gave), too large, and a CLI that is not logged in.
 */
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../dev-tools/cli-env.js'
import { type ChatPage, launchChromium, openChat } from '../helpers/browser.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let browser: Browser
const pages: ChatPage[] = []
const open = async (url: string) => {
  const chat = await openChat(browser, url)
  pages.push(chat)
  return chat
}

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})
afterEach(async () => {
  for (const chat of pages.splice(0)) await chat.context.close()
})

describe('a busy server and a large message', () => {
  let stack: TestStack
  beforeAll(async () => {
    // One run at a time and no queue, and a small body limit.
    stack = await startTestStack({ maxConcurrency: 1, maxQueue: 0, maxBodyBytes: 64 * 1024 })
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('busy: says so, with the wait from Retry-After', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'slow', delayMs: 20_000 }))
    const first = await open(stack.url)
    // Listing the models starts a CLI once, which takes the only slot for a moment.
    const models = first.page.getByRole('combobox', { name: 'Model' }).locator('option')
    await waitFor(async () => (await models.count()) > 3)
    await first.send('take the only slot')
    await waitFor(() => stack.mock.messageRequests().length > 0)
    const second = await open(stack.url)
    const answer = second.page.waitForResponse((r) => r.url().endsWith('/llm/query/stream'))
    await second.send('me too')
    const retryAfter = (await answer).headers()['retry-after']
    expect(Number(retryAfter)).toBeGreaterThan(0)
    await expect((await second.replyDone()).locator('.error').textContent()).resolves.toBe(
      `The server is busy. Try again in ${retryAfter} s.`
    )
    await first.page.getByRole('button', { name: 'Stop' }).click()
    await first.replyDone()
  })

  it('too large: a message over the body limit', async () => {
    stack.mock.reset()
    const chat = await open(stack.url)
    // 100 KB of image bytes: a valid PNG type, over the 64 KB limit once in base64.
    await chat.page.locator('#picker').setInputFiles({
      name: 'big.png',
      mimeType: 'image/png',
      buffer: Buffer.alloc(100 * 1024, 7),
    })
    await chat.send('look at this')
    await expect((await chat.replyDone()).locator('.error').textContent()).resolves.toBe(
      'The message is too large. Send fewer or smaller images.'
    )
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })
})

describe('a CLI that is not logged in', () => {
  let stack: TestStack
  beforeAll(async () => {
    stack = await startTestStack({ noCredentials: true })
  })
  afterAll(async () => {
    await stack?.close()
  })

  it('says the operator must log it in', async () => {
    const chat = await open(stack.url)
    await chat.send('hello')
    await expect((await chat.replyDone()).locator('.error').textContent()).resolves.toBe(
      'Claude Code on the server is not logged in. The operator must log it in (claude login) or set a token.'
    )
  })
})
