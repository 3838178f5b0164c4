/**
 * The models' prices, read from a runner host once (`/runner/v1/models`), to check what a host
 * says a run cost (host-checks.ts). The first result waits for them (5 s at most); while no host
 * can list them, later results do not wait, and one read runs at a time.
 */
import * as v from 'valibot'
import { ModelsResponse } from '../../contract/run.js'
import type { ModelInfo } from '../../contract/runner.js'
import type { HostSet } from './host-set.js'

/** Waits for `promise` at most `ms`, whatever it does. */
const settledWithin = (promise: Promise<unknown>, ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    const done = () => {
      clearTimeout(timer)
      resolve()
    }
    promise.then(done, done)
  })

export type HostPrices = ReturnType<typeof createHostPrices>

export const createHostPrices = (set: HostSet) => {
  let cache: ModelInfo[] | undefined
  let reading: Promise<unknown> | undefined
  let waited = false

  const models = async (): Promise<ModelInfo[]> => {
    if (cache) return cache
    for await (const host of set.candidates()) {
      try {
        // A host's list is checked like its run lines; one that does not fit is no list.
        const answer = v.parse(ModelsResponse, await set.get(host, '/runner/v1/models', 30_000))
        cache = answer.models
        return answer.models
      } catch {
        set.markDown(host)
      }
    }
    throw set.unavailable(set.hosts.length)
  }

  return {
    models,
    /** The prices for checking a result: waited for by the first result only. */
    async forResult(): Promise<ModelInfo[]> {
      if (cache) return cache
      reading ??= models()
        .catch(() => {})
        .finally(() => (reading = undefined))
      if (!waited) {
        waited = true
        await settledWithin(reading, 5_000)
      }
      return cache ?? []
    },
  }
}
