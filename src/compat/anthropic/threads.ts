/**
 * Message threads (the Anthropic `message-threads` beta): the server holds the conversation
 * between turns, so a client sends only the new messages. A thread is a kept Claude Code
 * session: `{"type": "create"}` keeps the run's session under the reply's message id;
 * `{"type": "continue", "previous_message_id"}` resumes it. Which session a reply continues is
 * kept in `ThreadReplies` (thread-replies.ts). Refusals carry the API's `error_code`, on which
 * the SDK replays the whole conversation under a new thread. Sessions belong to the key that
 * made them (the runner enforces it: another key's is not found).
 */

import type { RunEvent, RunRequest } from '../../contract/runner.js'
import { BadRequestError, SessionNotFoundError } from '../../errors/index.js'
import { createMemoryThreadReplies, type ThreadReplies, threadRefusal } from './thread-replies.js'

export type ThreadParam = { type: 'create' } | { type: 'continue'; previous_message_id: string }

export const createThreadStore = (replies: ThreadReplies = createMemoryThreadReplies()) => {
  /** The request as the thread makes it, and a wrapper for its events (when there is a thread). */
  /** `owner`: the key's hash (its runs' owner), '' without keys. */
  const open = async (thread: ThreadParam, request: RunRequest, replyId: string, owner: string) => {
    let prepared = request
    let previous: string | undefined
    if (thread.type === 'create') {
      prepared = { ...request, persistSession: true }
    } else {
      if (request.history?.length) {
        throw new BadRequestError('messages: a thread continues with the new user message only')
      }
      const sessionId = await replies.claim(thread.previous_message_id, owner)
      previous = thread.previous_message_id
      // Tool results go to the run that waits for them; anything else resumes the session.
      if (!request.toolResults?.length) {
        prepared = { ...request, resumeSessionId: sessionId, persistSession: true }
      }
    }
    const held = previous

    async function* track(events: AsyncIterable<RunEvent>): AsyncGenerator<RunEvent> {
      let done = false
      try {
        for await (const event of events) {
          if (event.type === 'result' && event.result.sessionId) {
            await replies.remember(replyId, event.result.sessionId, owner)
            if (held) await replies.settle(held, true)
            done = true
          }
          yield event
        }
      } catch (error) {
        if (error instanceof SessionNotFoundError) {
          throw threadRefusal(
            'thread_not_found',
            'The thread’s conversation is gone; replay it with thread create'
          )
        }
        throw error
      } finally {
        if (held && !done) await replies.settle(held, false).catch(() => {})
      }
    }
    return { request: prepared, track }
  }

  return { open }
}
