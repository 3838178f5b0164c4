/**
 * Message threads (the Anthropic `message-threads` beta): the server holds the conversation
 * between turns, so a client sends only the new messages. A thread is a kept Claude Code
 * session: `{"type": "create"}` keeps the run's session under the reply's message id;
 * `{"type": "continue", "previous_message_id"}` resumes it. Each reply can be continued once,
 * and not while another request continues it. Refusals carry the API's `error_code`, on which
 * the SDK replays the whole conversation under a new thread. Sessions belong to the key that
 * made them (the runner enforces it: another key's is not found).
 */

import type { RunEvent, RunRequest } from '../../contract/runner.js'
import { BadRequestError, NotFoundError, SessionNotFoundError } from '../../errors/index.js'
import { createHeldBudget } from '../../lib/held-budget.js'

export type ThreadParam = { type: 'create' } | { type: 'continue'; previous_message_id: string }

type Entry = { sessionId: string; owner: string; state: 'open' | 'continuing' | 'continued' }

const refusal = (code: string, message: string) =>
  code === 'thread_not_found'
    ? new NotFoundError(message, { details: { error_code: code } })
    : new BadRequestError(message, { details: { error_code: code } })

/**
 * Replies remembered at most, in all and per key (continuing a forgotten one then replays): a key
 * past its count forgets its own oldest; past the total, the key with the most does.
 */
const MAX_REPLIES = 10_000
const MAX_REPLIES_PER_OWNER = 1_000

export const createThreadStore = ({
  max = MAX_REPLIES,
  maxPerOwner = MAX_REPLIES_PER_OWNER,
} = {}) => {
  const replies = new Map<string, Entry>()
  /** How many are remembered, per key and in all (one each). */
  const kept = createHeldBudget(max, maxPerOwner)

  const remember = (replyId: string, sessionId: string, owner: string) => {
    replies.set(replyId, { sessionId, owner, state: 'open' })
    kept.hold(replyId, owner, 1, () => replies.delete(replyId))
  }

  /** The request as the thread makes it, and a wrapper for its events (when there is a thread). */
  /** `owner`: the key's hash (its runs' owner), '' without keys. */
  const open = (thread: ThreadParam, request: RunRequest, replyId: string, owner: string) => {
    let previous: Entry | undefined
    let prepared = request
    if (thread.type === 'create') {
      prepared = { ...request, persistSession: true }
    } else {
      previous = replies.get(thread.previous_message_id)
      // Another key's reply is not there for this one.
      if (previous && previous.owner !== owner) previous = undefined
      if (!previous) {
        throw refusal(
          'thread_not_found',
          'No thread is held for previous_message_id; replay the conversation with thread create'
        )
      }
      if (previous.state === 'continued') {
        throw refusal(
          'thread_already_continued',
          'That response was continued already; continue from the thread’s latest response'
        )
      }
      if (previous.state === 'continuing') {
        throw refusal(
          'thread_continue_in_flight',
          'Another request is continuing from that response'
        )
      }
      if (request.history?.length) {
        throw new BadRequestError('messages: a thread continues with the new user message only')
      }
      // Tool results go to the run that waits for them; anything else resumes the session.
      if (!request.toolResults?.length) {
        prepared = { ...request, resumeSessionId: previous.sessionId, persistSession: true }
      }
      previous.state = 'continuing'
    }
    const held = previous

    async function* track(events: AsyncIterable<RunEvent>): AsyncGenerator<RunEvent> {
      let done = false
      try {
        for await (const event of events) {
          if (event.type === 'result' && event.result.sessionId) {
            remember(replyId, event.result.sessionId, owner)
            if (held) held.state = 'continued'
            done = true
          }
          yield event
        }
      } catch (error) {
        if (error instanceof SessionNotFoundError) {
          throw refusal(
            'thread_not_found',
            'The thread’s conversation is gone; replay it with thread create'
          )
        }
        throw error
      } finally {
        if (held && !done) held.state = 'open'
      }
    }
    return { request: prepared, track }
  }

  return { open }
}
