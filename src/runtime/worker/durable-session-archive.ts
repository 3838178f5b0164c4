/**
 * Kept sessions' transcripts at the edge (adapters/remote/session-keeping.ts), in the Durable
 * Object of the key that kept them, so a session outlives its runner host whichever isolate the
 * next turn lands on. A Durable Object row holds at most 2 MB: a larger transcript is not kept
 * (that session stays bound to its host, as without an archive).
 */
import type { SessionArchive } from '../../adapters/remote/session-keeping.js'
import { errorFromResponse } from '../../http/error-body.js'
import type { UsageNamespace } from './usage.js'

export const MAX_TRANSCRIPT_BYTES = 1_500_000

export const createDurableSessionArchive = (namespace: UsageNamespace): SessionArchive => {
  const call = (owner: string, id: string, init: RequestInit = {}) =>
    namespace
      .get(namespace.idFromName(`responses:${owner || '~keyless'}`) as never)
      .fetch(`https://usage/sessions/${encodeURIComponent(id)}`, init)
  return {
    async save(id, owner, transcript) {
      const large = new TextEncoder().encode(transcript).byteLength > MAX_TRANSCRIPT_BYTES
      const response = await call(
        owner,
        id,
        large ? { method: 'DELETE' } : { method: 'PUT', body: transcript }
      )
      if (!response.ok) throw await errorFromResponse(response)
    },
    async load(id, owner) {
      const response = await call(owner, id)
      if (response.status === 404) {
        await response.body?.cancel()
        return undefined
      }
      if (!response.ok) throw await errorFromResponse(response)
      return response.text()
    },
  }
}
