/**
 * The front gate, tried as an attacker without a key would: a web page that rebinds its name to
 * 127.0.0.1 (DNS rebinding) against a keyless server and a token-less runner host, and big bodies
 * sent to public paths. Before the fix the first got the API, the second made the server read
 * 40 × 20 MB (it peaked at 385 MiB, 700 MiB and more measured here).
 */
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { startRunnerHost } from '../../src/runtime/node/entry.js'
import { startCli } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

/** A request with the Host header a rebinding page's requests carry (fetch will not set one). */
const withHost = (url: string, path: string, host: string, method = 'GET', body?: string) =>
  new Promise<number>((resolve, reject) => {
    const target = new URL(url)
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method,
        headers: { host, ...(body && { 'content-type': 'application/json' }) },
      },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }
    )
    req.on('error', reject)
    req.end(body)
  })

let stack: TestStack
beforeAll(async () => {
  stack = await startTestStack()
})
afterAll(() => stack?.close())

describe('DNS rebinding', () => {
  it('a keyless server on loopback answers only requests addressed to localhost', async () => {
    const port = new URL(stack.url).port
    expect(await withHost(stack.url, '/llm/status', `rebind.example:${port}`)).toBe(403)
    const chat = JSON.stringify({ prompt: 'hi' })
    expect(await withHost(stack.url, '/llm/chat', 'rebind.example', 'POST', chat)).toBe(403)
    expect(stack.mock.messageRequests()).toHaveLength(0)
    expect(await withHost(stack.url, '/llm/status', `localhost:${port}`)).toBe(200)
    expect(await withHost(stack.url, '/health', `127.0.0.1:${port}`)).toBe(200)
  })

  it('and so does a runner host without a token', async () => {
    const host = await startRunnerHost({ host: '127.0.0.1', port: 0, logLevel: 'silent' })
    try {
      const port = new URL(host.url).port
      expect(await withHost(host.url, '/runner/v1/health', 'rebind.example')).toBe(403)
      expect(await withHost(host.url, '/runner/v1/health', `localhost:${port}`)).toBe(200)
    } finally {
      await host.close()
    }
  })
})

describe('bodies sent where no route takes one', () => {
  it('are not read: 40 keyless 20 MB posts keep the server under 300 MiB', async () => {
    const dir = await tempDir('big-bodies')
    const server = await startCli(['serve', '--port', '0', '--keys-file', join(dir, 'keys')], {
      CLAUDE_WARM_PROCESSES: '0',
      CLAUDE_WORK_DIR: join(dir, 'work'),
    })
    try {
      const rssMiB = async () => {
        const status = await readFile(`/proc/${server.pid}/status`, 'utf8')
        return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024
      }
      let peak = await rssMiB()
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rssMiB())
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
      })()
      const body = Buffer.alloc(20_000_000, 0x5b)
      const statuses = await Promise.all(
        ['/health', '/chat', '/docs', '/'].flatMap((path) =>
          Array.from({ length: 10 }, () =>
            fetch(`${server.url}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
            }).then(
              (res) => res.status,
              () => 0
            )
          )
        )
      )
      sampling = false
      await sampler
      expect(statuses.every((status) => status >= 400)).toBe(true)
      expect(peak).toBeLessThan(300)
    } finally {
      await server.stop()
      await removeDir(dir)
    }
  }, 60_000)
})
