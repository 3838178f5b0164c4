/**
 * Stored Responses at the edge: in the Durable Object of the key that made them (its own object
 * for keyless use), so every isolate finds them. The object checks age and keeps a bounded number.
 */
import { notStored, type ResponseStore, type StoredResponse } from '../../compat/responses/store.js'
import { errorFromResponse } from '../../http/error-body.js'
import type { UsageNamespace } from './usage.js'

/** Above this a response is not stored (a Durable Object row holds at most 2 MB). */
const MAX_RECORD_BYTES = 1_500_000

export const createDurableResponseStore = (namespace: UsageNamespace): ResponseStore => {
  const call = (owner: string, id: string, init: RequestInit = {}) =>
    namespace
      .get(namespace.idFromName(`responses:${owner || '~keyless'}`) as never)
      .fetch(`https://usage/responses/${encodeURIComponent(id)}`, init)
  return {
    maxRecordBytes: MAX_RECORD_BYTES,
    async put(id, record) {
      const text = JSON.stringify(record)
      if (new TextEncoder().encode(text).byteLength > MAX_RECORD_BYTES) return
      const response = await call(record.owner, id, { method: 'PUT', body: text })
      if (!response.ok) throw await errorFromResponse(response)
    },
    async get(id, owner) {
      const response = await call(owner, id)
      if (response.status === 404) throw notStored(id)
      if (!response.ok) throw await errorFromResponse(response)
      const record = (await response.json()) as StoredResponse
      if (record.owner !== owner) throw notStored(id)
      return record
    },
    async delete(id, owner) {
      await this.get(id, owner)
      const response = await call(owner, id, { method: 'DELETE' })
      if (!response.ok) throw await errorFromResponse(response)
    },
  }
}
