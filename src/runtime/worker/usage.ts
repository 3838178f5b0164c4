/**
 * The usage store at the edge: each key's Durable Object (key-usage-object.ts) decides its limits
 * and keeps its spend, shared by every isolate. A run's place is a lease renewed while it runs.
 */
import * as v from 'valibot'
import { KeyUsage } from '../../contract/usage.js'
import { errorFromResponse } from '../../http/error-body.js'
import {
  REPORT_DAYS,
  type Release,
  totalsOf,
  type UsageKey,
  type UsageStore,
} from '../../usage/store.js'

type Stub = { fetch(input: string, init?: RequestInit): Promise<Response> }
/** The part of a Durable Object namespace binding this uses. */
export type UsageNamespace = { idFromName(name: string): unknown; get(id: never): Stub }

export type DurableUsageOptions = {
  /** How long a run's place lasts without renewal (renewed every third of it). Default 60 s. */
  leaseMs?: number
}

/** The object that lists the keys (a name no key hash can have). */
const INDEX = '~keys'

export const createDurableUsageStore = (
  namespace: UsageNamespace,
  { leaseMs = 60_000 }: DurableUsageOptions = {}
): UsageStore => {
  const stub = (name: string) => namespace.get(namespace.idFromName(name) as never)
  const call = async (name: string, path: string, body?: unknown) => {
    const response = await stub(name).fetch(`https://usage${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!response.ok) throw await errorFromResponse(response)
    return response.json() as Promise<Record<string, unknown>>
  }
  // Keys this isolate has put in the index already.
  const indexed = new Set<string>()
  const index = async ({ id, name }: UsageKey) => {
    if (indexed.has(id)) return
    await call(INDEX, '/keys', { id, name })
    indexed.add(id)
  }

  // This isolate, as the holder of its leases: once another took one over (adopt), this one's
  // renewals and release leave it alone.
  const holder = crypto.randomUUID()
  /** Renews the lease while its run goes on here; its release, given once. */
  const hold = (id: string, lease: string): Release => {
    const renew = setInterval(() => {
      call(id, '/renew', { lease, leaseMs, holder }).catch(() => {})
    }, leaseMs / 3)
    let released = false
    return async () => {
      if (released) return
      released = true
      clearInterval(renew)
      await call(id, '/release', { lease, holder })
    }
  }

  return {
    async begin(key, limits) {
      const [begun] = await Promise.all([
        call(key.id, '/begin', { name: key.name, limits, leaseMs, holder }),
        index(key),
      ])
      const lease = begun.lease as string
      const capUsd = begun.capUsd as number | undefined
      return {
        release: hold(key.id, lease),
        // The key's object and the lease in it.
        handle: `${key.id} ${lease}`,
        ...(capUsd !== undefined && { capUsd }),
      }
    },
    async adopt(handle) {
      const [id = '', lease = ''] = handle.split(' ')
      const { adopted } = await call(id, '/adopt', { lease, leaseMs, holder })
      return adopted ? hold(id, lease) : undefined
    },
    async record(key, charge) {
      await Promise.all([
        call(key.id, '/record', {
          name: key.name,
          totals: totalsOf(charge),
          leastCallUsd: charge.firstCallUsd,
        }),
        index(key),
      ])
    },
    async report(days = REPORT_DAYS) {
      const { keys } = (await call(INDEX, '/keys')) as { keys: UsageKey[] }
      const reports = await Promise.all(
        keys.map(async ({ id, name }) => {
          const query = new URLSearchParams({ days: String(days), name })
          return [id, v.parse(KeyUsage, await call(id, `/report?${query}`))]
        })
      )
      return Object.fromEntries(reports)
    },
  }
}
