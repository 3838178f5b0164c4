/**
 * Stored responses (`store` is on unless the client says `false`): what `previous_response_id`
 * continues, and what `GET /v1/responses/{id}` answers. Each belongs to the key that made it
 * (to any other it does not exist); they expire after a lifetime and at most a number are kept
 * (the oldest go first). In memory here; at the edge, in each key's Durable Object
 * (runtime/worker/durable-response-store.ts), so every isolate sees them.
 */
import { NotFoundError } from '../../errors/index.js'
import type { HistoryTurn, ToolCall } from '../../runner.js'

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
  put(id: string, record: StoredResponse): Promise<void>
  /** The response, or a 404 when it is not there, expired, or another key's. */
  get(id: string, owner: string): Promise<StoredResponse>
  delete(id: string, owner: string): Promise<void>
}

export const RESPONSE_TTL_MS = 7 * 24 * 3600_000

export const notStored = (id: string) =>
  new NotFoundError(`No response with id '${id}' (not stored, expired, or another key's)`)

export type ResponseStoreOptions = { ttlMs?: number; max?: number }

export const createResponseStore = ({
  ttlMs = RESPONSE_TTL_MS,
  max = 10_000,
}: ResponseStoreOptions = {}): ResponseStore => {
  const responses = new Map<string, StoredResponse>()
  const find = (id: string, owner: string) => {
    const found = responses.get(id)
    if (found && Date.now() - found.at > ttlMs) responses.delete(id)
    else if (found?.owner === owner) return found
    throw notStored(id)
  }
  return {
    async put(id, record) {
      responses.set(id, record)
      while (responses.size > max) responses.delete(responses.keys().next().value as string)
    },
    get: async (id, owner) => find(id, owner),
    async delete(id, owner) {
      find(id, owner)
      responses.delete(id)
    },
  }
}
