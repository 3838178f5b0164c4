/**
 * The chat page in a real Chromium (Debian's, driven by playwright-core) against the real server,
 * the real CLI and the mock Messages API: what a person sees and what reaches the model.
 */
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  allProcessesGone,
  processesIn,
  removeDir,
  tempDir,
  waitFor,
} from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockRequest,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { type ChatPage, launchChromium, openChat, SCREENSHOTS } from '../helpers/browser.js'
import { PNG } from '../helpers/png.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let browser: Browser
let chat: ChatPage
let key: string
let keysDir: string

beforeAll(async () => {
  keysDir = await tempDir('web-keys')
  const keysFile = join(keysDir, '.api-keys')
  key = (await createKey(keysFile, { name: 'browser' })).key
  stack = await startTestStack({ keysFile })
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await stack?.close()
  await removeDir(keysDir)
})

beforeEach(() => {
  stack.mock.reset()
})
afterEach(async () => {
  await chat?.context.close()
})

describe('the chat page in Chromium', () => {
  it('loads without a key, asks nothing of another origin, and names its controls', async () => {
    chat = await openChat(browser, stack.url)
    const { page } = chat
    await expect(page.getByRole('textbox', { name: 'Message' }).isVisible()).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Send' }).isVisible()).resolves.toBe(true)
    await expect(page.getByRole('button', { name: 'Stop' }).isDisabled()).resolves.toBe(true)
    await expect(page.getByLabel('API key').getAttribute('type')).resolves.toBe('password')
    // Without a key the models cannot be listed: the page says why.
    await page.getByRole('alert').filter({ hasText: 'needs an API key' }).waitFor()

    const listing = page.waitForRequest((request) => request.url().endsWith('/llm/models'))
    await chat.typeKey(key)
    expect((await listing).headers().authorization).toBe(`Bearer ${key}`)
    const models = page.getByRole('combobox', { name: 'Model' })
    await waitFor(async () => (await models.locator('option').count()) > 3)
    const served = (await (
      await fetch(`${stack.url}/llm/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { models: Array<{ id: string }> }
    const shown = await models
      .locator('option')
      .evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value))
    expect(shown).toEqual(served.models.map((model) => model.id))
    expect(chat.requested.length).toBeGreaterThan(2)
    expect(chat.requested.filter((url) => !url.startsWith(`${stack.url}/`))).toEqual([])
  })

  it('streams a reply in as it arrives and shows its model, tokens and cost', async () => {
    stack.mock.setHandler(() => ({
      kind: 'text',
      text: 'one two three four five six seven eight nine ten eleven twelve',
      chunks: 12,
      intervalMs: 150,
    }))
    chat = await openChat(browser, stack.url)
    const { page } = chat
    await chat.typeKey(key)
    await chat.send('count for me')
    const reply = chat.replies.last()
    // Sampled while it streams: the text grows in several steps before the reply ends.
    const seen = new Set<string>()
    await waitFor(
      async () => {
        seen.add((await reply.locator('.body').textContent()) ?? '')
        return (await reply.getAttribute('aria-busy')) === 'false'
      },
      { timeoutMs: 20_000, intervalMs: 40 }
    )
    const partial = [...seen].filter((text) => text && !text.includes('twelve'))
    expect(partial.length).toBeGreaterThanOrEqual(3)
    await expect(reply.locator('.body').textContent()).resolves.toContain('eleven twelve')
    const meta = (await reply.locator('.meta').textContent()) ?? ''
    expect(meta).toMatch(/^claude-\S+ · [\d,]+ in, \d+ out tokens · \$\S+ · [\d.]+ s$/)
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-streamed.png') })
  })

  it('sends earlier messages as real turns, keeps chats across a reload, starts new ones', async () => {
    chat = await openChat(browser, stack.url)
    const { page } = chat
    await chat.typeKey(key)
    // Shift+Enter is a new line, not a send.
    const message = page.getByRole('textbox', { name: 'Message' })
    await message.fill('line one')
    await message.press('Shift+Enter')
    await message.pressSequentially('line two')
    await expect(message.inputValue()).resolves.toBe('line one\nline two')
    await expect(page.locator('article.turn').count()).resolves.toBe(0)
    await chat.send('My name is Ada.')
    await expect((await chat.replyDone()).textContent()).resolves.toContain('ECHO: My name is Ada.')
    await chat.send('What is my name?')
    await expect((await chat.replyDone()).textContent()).resolves.toContain(
      'ECHO: What is my name?'
    )

    const last = stack.mock.messageRequests().at(-1) as MockRequest
    const turns = (last.body.messages ?? []).filter((m) => m.role !== 'system')
    const texts = turns.map((m) => [m.role, userText(m)])
    expect(texts.slice(-3)).toEqual([
      ['user', 'My name is Ada.'],
      ['assistant', 'ECHO: My name is Ada.'],
      ['user', 'What is my name?'],
    ])

    await page.reload()
    await expect(page.locator('article.turn').count()).resolves.toBe(4)
    await page.getByRole('button', { name: 'New chat' }).click()
    await expect(page.locator('article.turn').count()).resolves.toBe(0)
    const list = page.getByRole('navigation', { name: 'Conversations' })
    await list.getByRole('button', { name: 'My name is Ada.' }).click()
    await expect(page.locator('article.turn').count()).resolves.toBe(4)
  })

  it('Stop aborts the request and the CLI process is killed', async () => {
    stack.mock.setHandler(() => ({ kind: 'text', text: 'too late', delayMs: 20_000 }))
    chat = await openChat(browser, stack.url)
    const { page } = chat
    await chat.typeKey(key)
    await chat.send('take your time')
    await waitFor(async () => (await processesIn(stack.workDir)).length > 0)
    await waitFor(() => stack.mock.messageRequests().length > 0)
    await page.getByRole('button', { name: 'Stop' }).click()
    await allProcessesGone(stack.workDir, 10_000)
    await expect(chat.replies.last().locator('.status').textContent()).resolves.toBe('Stopped.')
    await expect(page.getByRole('button', { name: 'Send' }).isEnabled()).resolves.toBe(true)
  })

  it('renders Markdown, and an <img onerror> or javascript: link in a reply stays inert', async () => {
    const markdown = [
      '# Plan',
      '',
      '- first',
      '- second',
      '',
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
      '',
      '```js',
      'const x = 1',
      '```',
      '',
      '<img src=x onerror="window.__pwned = 1">',
      '',
      '[click me](javascript:window.__pwned=2) ![pic](http://198.51.100.7/x.png)',
    ].join('\n')
    stack.mock.setHandler(() => ({ kind: 'text', text: markdown }))
    chat = await openChat(browser, stack.url)
    const { page } = chat
    await chat.typeKey(key)
    await chat.send('show me markdown')
    const reply = await chat.replyDone()
    await expect(reply.locator('h1').textContent()).resolves.toBe('Plan')
    await expect(reply.locator('li').count()).resolves.toBe(2)
    await expect(reply.locator('table td').allTextContents()).resolves.toEqual(['1', '2'])
    await expect(reply.locator('pre code').textContent()).resolves.toContain('const x = 1')
    await expect(reply.getByRole('button', { name: 'Copy code' }).count()).resolves.toBe(1)
    // The raw HTML shows as text; nothing became an image, nothing ran, nothing loaded.
    await expect(reply.locator('img').count()).resolves.toBe(0)
    await expect(reply.textContent()).resolves.toContain('<img src=x onerror=')
    await expect(page.evaluate(() => (window as { __pwned?: number }).__pwned)).resolves.toBe(
      undefined
    )
    const hrefs = await reply
      .locator('a')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href')))
    expect(hrefs.some((href) => href?.startsWith('javascript:'))).toBe(false)
    expect(chat.requested.some((url) => url.includes('198.51.100.7'))).toBe(false)
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-markdown.png') })
  })

  it('shows readable errors: a wrong key, then no key', async () => {
    chat = await openChat(browser, stack.url)
    await chat.typeKey('cca_0000000000000000000000000000dead')
    await chat.send('hello?')
    await expect((await chat.replyDone()).locator('.error').textContent()).resolves.toBe(
      'The API key was not accepted. Check the "API key" field.'
    )
    await chat.typeKey('')
    await chat.send('hello again?')
    await expect((await chat.replyDone()).locator('.error').textContent()).resolves.toBe(
      'This server needs an API key: type it in the "API key" field.'
    )
    expect(stack.mock.messageRequests()).toHaveLength(0)
  })

  it('sends picked, dropped and pasted images as image blocks, and fits a phone-width screen', async () => {
    chat = await openChat(browser, stack.url, { width: 390, height: 800 })
    const { page } = chat
    await chat.typeKey(key)
    await page.locator('#picker').setInputFiles({
      name: 'dot.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PNG, 'base64'),
    })
    // Files are read asynchronously: wait for the preview rather than count at once.
    await page.getByRole('img', { name: 'Image 1 to send' }).waitFor()
    // Dropped and pasted images join it; a file that is not an image is refused with a reason.
    await page.evaluate((png) => {
      const file = (name: string, type: string) =>
        new File([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], name, { type })
      const drop = new DataTransfer()
      drop.items.add(file('dropped.png', 'image/png'))
      document.querySelector('form')?.dispatchEvent(new DragEvent('drop', { dataTransfer: drop }))
      const paste = new DataTransfer()
      paste.items.add(file('pasted.png', 'image/png'))
      paste.items.add(file('notes.txt', 'text/plain'))
      const event = new ClipboardEvent('paste', { clipboardData: paste, cancelable: true })
      document.querySelector('textarea')?.dispatchEvent(event)
    }, PNG)
    await page.getByRole('img', { name: 'Image 3 to send' }).waitFor()
    await expect(page.getByRole('alert').textContent()).resolves.toBe(
      'notes.txt is not a PNG, JPEG, GIF or WebP image.'
    )
    await page.getByRole('button', { name: 'Remove image 3' }).click()
    await chat.send('what is in this picture?')
    await chat.replyDone()
    const body = stack.mock.messageRequests().at(-1)?.body
    const content = lastUserMessage(body ?? {})?.content as Array<{
      type: string
      source?: { data: string }
    }>
    const images = content.filter((block) => block.type === 'image')
    expect(images.map((block) => block.source?.data)).toEqual([PNG, PNG])
    // Nothing wider than the screen, and the controls in view.
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    expect(width).toBeLessThanOrEqual(390)
    for (const name of ['Send', 'Stop']) {
      const box = await page.getByRole('button', { name }).boundingBox()
      expect(box && box.x + box.width <= 390 && box.y + box.height <= 800).toBe(true)
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'chat-phone.png') })
  })
})
