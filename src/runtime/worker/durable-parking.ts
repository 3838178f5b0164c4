/**
 * Runs waiting for tool results at the edge, by call, in the key's Durable Object
 * (parking-object-routes.ts): a follow-up that lands on another isolate takes the waiting run's
 * lease over there (the usage store's `adopt`), instead of taking a second place.
 */
import type { SharedParking } from '../../auth/parked-places.js'
import { errorFromResponse } from '../../http/error-body.js'
import type { UsageNamespace } from './usage.js'

export const createDurableParking = (namespace: UsageNamespace): SharedParking => {
  const post = async (owner: string, path: string, body: unknown) => {
    const response = await namespace
      .get(namespace.idFromName(owner) as never)
      .fetch(`https://usage/parking/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    if (!response.ok) throw await errorFromResponse(response)
    return response.json() as Promise<{ lease?: string | null }>
  }
  return {
    async park(owner, calls, handle, ttlMs) {
      // The handle names the key's object and the lease in it (usage.ts).
      const [, lease = ''] = handle.split(' ')
      await post(owner, 'park', { calls, lease, ttlMs })
    },
    async claim(owner, calls) {
      const { lease } = await post(owner, 'claim', { calls })
      return lease ? `${owner} ${lease}` : undefined
    },
  }
}
