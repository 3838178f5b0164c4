/**
 * Stored responses (`store` is on unless the client says `false`): what `previous_response_id`
 * continues, and what `GET /v1/responses/{id}` answers. Each belongs to the key that made it
 * (to any other it does not exist); they expire after a lifetime, and are bounded per key (a key
 * past its count drops its own oldest), in all, in size, and by the memory budget they share. In memory here; at the edge, in each key's Durable Object
 * (runtime/worker/durable-response-store.ts), so every isolate sees them.
 */

import type { HistoryTurn, ToolCall } from '../../contract/runner.js'
import { NotFoundError } from '../../errors/index.js'
import { createHeldBudget, type HeldBudget, heldBytes } from '../../lib/held-budget.js'

export type StoredResponse = {
  owner: string
  /** The response object as the client got it. */
  body: Record<string, unknown>
  /** The input items it was given, with ids. */
  input: Array<Record<string, unknown>>
  /** The whole conversation through this response, for the next one. */
  turns: HistoryTurn[]
  /** The function calls it made (a follow-up's outputs answer them). */
  calls: ToolCall[]
  at: number
}

export type ResponseStore = {
  /** Keeps it, unless it is larger than `maxRecordBytes` (then it is not kept at all). */
  put(id: string, record: StoredResponse): Promise<void>
  /** The response, or a 404 when it is not there, expired, or another key's. */
  get(id: string, owner: string): Promise<StoredResponse>
  delete(id: string, owner: string): Promise<void>
  /** The largest record kept: a request whose input alone is larger is refused up front. */
  maxRecordBytes: number
}

export const RESPONSE_TTL_MS = 7 * 24 * 3600_000
/** One record at most (a conversation with its images and documents); the body cap is 20 MiB. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024

export const notStored = (id: string) =>
  new NotFoundError(`No response with id '${id}' (not stored, expired, or another key's)`)

export type ResponseStoreOptions = {
  ttlMs?: number
  /** Records in all; past it, the oldest of the key with the most go. */
  max?: number
  /** Records per key; past it, that key's oldest go. */
  maxPerOwner?: number
  maxRecordBytes?: number
  /** The memory budget this store shares (held-budget.ts). */
  held?: HeldBudget
}

export const createResponseStore = ({
  ttlMs = RESPONSE_TTL_MS,
  max = 10_000,
  maxPerOwner = 1_000,
  maxRecordBytes = MAX_RECORD_BYTES,
  held = createHeldBudget(),
}: ResponseStoreOptions = {}): ResponseStore => {
  const responses = new Map<string, StoredResponse>()
  /** How many are kept, per key and in all (one each). */
  const kept = createHeldBudget(max, maxPerOwner)
  const remove = (id: string) => {
    if (!responses.delete(id)) return
    kept.release(id)
    held.release(`response:${id}`)
  }
  const find = (id: string, owner: string) => {
    const found = responses.get(id)
    if (found && Date.now() - found.at > ttlMs) remove(id)
    else if (found?.owner === owner) return found
    throw notStored(id)
  }
  const sweep = () => {
    for (const [id, record] of responses) {
      if (Date.now() - record.at <= ttlMs) return
      remove(id)
    }
  }
  return {
    maxRecordBytes,
    async put(id, record) {
      const bytes = heldBytes(record)
      if (bytes > maxRecordBytes) return
      sweep()
      responses.set(id, record)
      kept.hold(id, record.owner, 1, () => remove(id))
      if (responses.has(id)) held.hold(`response:${id}`, record.owner, bytes, () => remove(id))
    },
    get: async (id, owner) => find(id, owner),
    async delete(id, owner) {
      find(id, owner)
      remove(id)
    },
  }
}
