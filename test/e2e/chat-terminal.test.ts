/**
 * `claude-code-api chat` in a real terminal (tmux), against a server on the real CLI: Ctrl-C
 * during a reply stops that reply and its CLI run, the chat goes on, and Ctrl-C at the prompt
 * quits with exit code 0. A wrong URL or key is reported before the first prompt.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allProcessesGone, processesIn, waitFor } from '../../dev-tools/cli-env.js'
import { userText } from '../../dev-tools/mock-anthropic/server.js'
import { runCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SOCKET = `cca-test-${process.pid}`
const tmux = (...args: string[]) =>
  promisify(execFile)('tmux', ['-L', SOCKET, ...args]).then((r) => r.stdout)
const screen = () => tmux('capture-pane', '-p', '-t', 'chat')
/** Waits for the screen to match; on failure, says what the screen showed. */
const screenShows = (pattern: RegExp) =>
  waitFor(async () => pattern.test(await screen())).catch(async (error: Error) => {
    throw new Error(`${error.message}: ${pattern} not on screen:\n${await screen()}`)
  })

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
  stack.mock.setHandler((request) => {
    const text = userText(request.body.messages?.filter((m) => m.role === 'user').at(-1))
    return text === 'slow'
      ? { kind: 'text', text: 'never finished', delayMs: 20_000 }
      : { kind: 'text', text: `ECHO: ${text}` }
  })
})
afterAll(async () => {
  await tmux('kill-server').catch(() => {})
  await stack?.close()
})

describe('chat in a terminal', () => {
  it('Ctrl-C stops a reply and its run; Ctrl-C at the prompt quits', async () => {
    const exitFile = join(stack.home, 'chat-exit')
    const command = [
      'env -i',
      `PATH=${process.env.PATH}`,
      `HOME=${stack.home}`,
      'TERM=xterm',
      join(ROOT, 'node_modules/.bin/tsx'),
      join(ROOT, 'src/cli/index.ts'),
      'chat --url',
      stack.url,
      // The shell records the exit status (tmux may not have reaped the process yet).
      `; echo $? > ${exitFile}`,
    ].join(' ')
    await tmux('new-session', '-d', '-s', 'chat', '-x', '120', '-y', '30', command)
    await tmux('set-option', '-t', 'chat', 'remain-on-exit', 'on')
    await screenShows(/you>$/m)

    await tmux('send-keys', '-t', 'chat', 'slow', 'Enter')
    await waitFor(async () => (await processesIn(stack.workDir)).length > 0)
    await tmux('send-keys', '-t', 'chat', 'C-c')
    await screenShows(/\(reply stopped\)\nyou>$/m)
    await allProcessesGone(stack.workDir)

    await tmux('send-keys', '-t', 'chat', 'still here?', 'Enter')
    await screenShows(/claude> ECHO: still here\?\nyou>$/m)

    await tmux('send-keys', '-t', 'chat', 'C-c')
    const exit = await waitFor(() => readFile(exitFile, 'utf8').catch(() => undefined))
    expect(exit).toBe('0\n')
    expect(await screen()).not.toMatch(/error/i)
  }, 60_000)

  it('checks the server and key before the first prompt', async () => {
    const wrongKey = await runCli(['chat', '--url', stack.url, '--key', 'cca_0'], { input: '' })
    expect(wrongKey.code).toBe(0)
    const keyed = await startTestStack({ apiKeyHashes: '0'.repeat(64) })
    try {
      const denied = await runCli(['chat', '--url', keyed.url, '--key', 'cca_wrong'], {
        input: '',
      })
      expect(denied.code).toBe(1)
      expect(denied.stderr).toMatch(/Invalid API key \(unauthorized\)/)
      expect(keyed.mock.messageRequests()).toHaveLength(0)
    } finally {
      await keyed.close()
    }
    const nowhere = await runCli(['chat', '--url', 'http://127.0.0.1:9'], { input: 'hello\n' })
    expect(nowhere.code).toBe(1)
    expect(nowhere.stderr).toMatch(/Could not reach http:\/\/127\.0\.0\.1:9/)
    expect(nowhere.stdout).toBe('')
  }, 60_000)
})
