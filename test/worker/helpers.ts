/** What the workerd tests share: the mock Messages API's controls, polling, key hashes. */
import { env } from 'cloudflare:test'
import { inject } from 'vitest'
import { createWorkerApp, type WorkerEnv } from '../../src/runtime/worker/entry.js'

export const json = { 'content-type': 'application/json' }

/** `/_mock/<path>` of the mock (reset, reply, requests). */
export const mock = (path: string, body?: unknown) =>
  fetch(`${inject('mockUrl')}/_mock/${path}`, {
    method: body === undefined && path === 'requests' ? 'GET' : 'POST',
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  })

export const mockRequests = async () =>
  (await (await mock('requests')).json()) as Array<{ body: { model?: string } }>

export const waitFor = async (check: () => Promise<boolean>, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

export const sha256Hex = async (text: string) => {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** A front door of its own (its own isolate state) over the test bindings and these. */
export const workerWith = (bindings: Partial<WorkerEnv>) =>
  createWorkerApp({ ...(env as WorkerEnv), ...bindings })
