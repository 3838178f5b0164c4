/**
 * Debian's Chromium driven by playwright-core (no browser download). Flags as for any headless
 * Chromium here: no sandbox (tests run as root), no background connections (no network beyond
 * loopback).
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Where screenshots are kept (git-ignored; CI keeps them with the run). */
export const SCREENSHOTS = fileURLToPath(
  new URL('../../test-results/screenshots/', import.meta.url)
)

export const launchChromium = async () => {
  await mkdir(SCREENSHOTS, { recursive: true })
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export type ChatPage = Awaited<ReturnType<typeof openChat>>

/** A fresh browser context (empty storage) on the server's /chat page, with the page's controls. */
export const openChat = async (
  browser: Browser,
  serverUrl: string,
  viewport = { width: 1100, height: 800 }
) => {
  const context = await browser.newContext({ viewport })
  // Well inside the test's own timeout, so a wait that fails names what it waited for.
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  /** Every URL the page asked for. */
  const requested: string[] = []
  page.on('request', (request) => requested.push(request.url()))
  const response = await page.goto(`${serverUrl}/chat`)
  if (response?.status() !== 200) throw new Error(`/chat answered ${response?.status()}`)
  const message = page.getByRole('textbox', { name: 'Message' })
  const replies = page.locator('article.assistant')
  return {
    context,
    page,
    requested,
    replies,
    typeKey: async (value: string) => {
      await page.getByLabel('API key').fill(value)
      await page.getByLabel('API key').dispatchEvent('change')
    },
    /** Types a message and presses Enter. */
    send: async (text: string) => {
      await message.fill(text)
      await message.press('Enter')
    },
    /** Waits until the last reply has ended (Send is enabled again) and returns it. */
    replyDone: async () => {
      await page.getByRole('button', { name: 'Send' }).and(page.locator(':enabled')).waitFor()
      return replies.last()
    },
  }
}
