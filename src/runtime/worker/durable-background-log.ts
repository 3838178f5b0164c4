/**
 * Background responses' events at the edge: in the Durable Object of the key that started them
 * (background-object-routes.ts), so an isolate that did not start a run polls it, resumes its
 * stream and cancels it. The run itself is driven by the isolate that started it.
 */
import * as v from 'valibot'
import type { BackgroundLog, Snapshot } from '../../compat/responses/background-log.js'
import { errorFromResponse } from '../../http/error-body.js'
import {
  type AppendBackground,
  BackgroundEvents,
  type OpenBackground,
  StoppedReply,
  StopReply,
} from './background-wire.js'
import type { UsageNamespace } from './usage.js'

export const createDurableBackgroundLog = (namespace: UsageNamespace): BackgroundLog => {
  /** Which key's object holds a run, by its id (the driver knows only the id). */
  const owners = new Map<string, string>()
  const call = async (owner: string, path: string, init: RequestInit = {}) => {
    const response = await namespace
      .get(namespace.idFromName(`responses:${owner || '~keyless'}`) as never)
      .fetch(`https://usage/background/${path}`, init)
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    if (!response.ok) throw await errorFromResponse(response)
    return response
  }
  const post = (owner: string, path: string, body?: unknown) =>
    call(owner, path, {
      method: 'POST',
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    })
  const at = (id: string, owner: string, rest = '', query: Record<string, string> = {}) =>
    `${encodeURIComponent(id)}${rest}?${new URLSearchParams({ owner, ...query })}`

  return {
    async open(id, owner, events, snapshot) {
      const body: OpenBackground = { owner, events, snapshot }
      await post(owner, `${encodeURIComponent(id)}/open`, body)
      owners.set(id, owner)
    },
    async append(id, events, snapshot, done) {
      const owner = owners.get(id)
      if (owner === undefined) return
      const body: AppendBackground = { events, snapshot, done }
      await post(owner, `${encodeURIComponent(id)}/append`, body)
      if (done) owners.delete(id)
    },
    async read(id, owner, after, waitMs, signal) {
      const path = at(id, owner, '/events', { after: String(after), wait: String(waitMs) })
      const response = await call(owner, path, signal ? { signal } : {}).catch((error) => {
        if (signal?.aborted) return undefined
        throw error
      })
      if (!response) return undefined
      return v.parse(BackgroundEvents, await response.json())
    },
    async snapshot(id, owner) {
      const response = await call(owner, at(id, owner))
      return response ? ((await response.json()) as Snapshot) : undefined
    },
    async stop(id, owner) {
      const response = await post(owner, at(id, owner, '/stop'))
      return response ? v.parse(StopReply, await response.json()).stopping : false
    },
    async stopped(id, waitMs, signal) {
      const owner = owners.get(id)
      if (owner === undefined) return false
      const path = at(id, owner, '/stopped', { wait: String(waitMs) })
      const response = await call(owner, path, signal ? { signal } : {})
      return response ? v.parse(StoppedReply, await response.json()).stop : false
    },
  }
}
