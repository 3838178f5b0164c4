/**
 * Which kept session each thread reply continues, and whether it is free to continue: in this
 * process's memory here; in PostgreSQL for front doors that share one (runtime/node/postgres/
 * thread-replies.ts), so a thread continues through any of them. A reply can be continued once,
 * and not while another request continues it.
 */
import { BadRequestError, NotFoundError } from '../../errors/index.js'
import { createHeldBudget } from '../../lib/held-budget.js'

export type ThreadReplies = {
  remember(replyId: string, sessionId: string, owner: string): Promise<void>
  /**
   * Takes `replyId` for a continuation and gives its session; refused (with the API's
   * `error_code`) when it is not `owner`'s, was continued already or is being continued.
   */
  claim(replyId: string, owner: string): Promise<string>
  /** The continuation is over: `continued` (it has its own reply now), else free again. */
  settle(replyId: string, continued: boolean): Promise<void>
}

export const threadRefusal = (code: string, message: string) =>
  code === 'thread_not_found'
    ? new NotFoundError(message, { details: { error_code: code } })
    : new BadRequestError(message, { details: { error_code: code } })

/** Why a reply that is there cannot be continued now, by its state. */
export const refusalFor = (state: 'continuing' | 'continued' | undefined) => {
  if (state === 'continued') {
    return threadRefusal(
      'thread_already_continued',
      'That response was continued already; continue from the thread’s latest response'
    )
  }
  if (state === 'continuing') {
    return threadRefusal(
      'thread_continue_in_flight',
      'Another request is continuing from that response'
    )
  }
  return threadRefusal(
    'thread_not_found',
    'No thread is held for previous_message_id; replay the conversation with thread create'
  )
}

type Entry = { sessionId: string; owner: string; state: 'open' | 'continuing' | 'continued' }

/**
 * Replies remembered at most, in all and per key (continuing a forgotten one then replays): a key
 * past its count forgets its own oldest; past the total, the key with the most does.
 */
export const MAX_REPLIES = 10_000
export const MAX_REPLIES_PER_OWNER = 1_000

export const createMemoryThreadReplies = ({
  max = MAX_REPLIES,
  maxPerOwner = MAX_REPLIES_PER_OWNER,
} = {}): ThreadReplies => {
  const replies = new Map<string, Entry>()
  /** How many are remembered, per key and in all (one each). */
  const kept = createHeldBudget(max, maxPerOwner)
  return {
    async remember(replyId, sessionId, owner) {
      replies.set(replyId, { sessionId, owner, state: 'open' })
      kept.hold(replyId, owner, 1, () => replies.delete(replyId))
    },
    async claim(replyId, owner) {
      const entry = replies.get(replyId)
      // Another key's reply is not there for this one.
      if (!entry || entry.owner !== owner) throw refusalFor(undefined)
      if (entry.state !== 'open') throw refusalFor(entry.state)
      entry.state = 'continuing'
      return entry.sessionId
    },
    async settle(replyId, continued) {
      const entry = replies.get(replyId)
      if (entry) entry.state = continued ? 'continued' : 'open'
    },
  }
}
