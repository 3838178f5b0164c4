/**
 * Message threads (the Anthropic `message-threads` beta): the server holds the conversation
 * between turns, so a client sends only the new messages. A thread is a kept Claude Code
 * session: `{"type": "create"}` keeps the run's session under the reply's message id;
 * `{"type": "continue", "previous_message_id"}` resumes it. Each reply can be continued once,
 * and not while another request continues it. Refusals carry the API's `error_code`, on which
 * the SDK replays the whole conversation under a new thread. Sessions belong to the key that
 * made them (the runner enforces it: another key's is not found).
 */
import { BadRequestError, NotFoundError, SessionNotFoundError } from '../../errors/index.js'
import type { RunEvent, RunRequest } from '../../runner.js'

export type ThreadParam = { type: 'create' } | { type: 'continue'; previous_message_id: string }

type Entry = { sessionId: string; state: 'open' | 'continuing' | 'continued' }

const refusal = (code: string, message: string) =>
  code === 'thread_not_found'
    ? new NotFoundError(message, { details: { error_code: code } })
    : new BadRequestError(message, { details: { error_code: code } })

/** Replies remembered at most (the oldest are forgotten; continuing one then replays). */
const MAX_REPLIES = 10_000

export const createThreadStore = () => {
  const replies = new Map<string, Entry>()

  const remember = (replyId: string, sessionId: string) => {
    replies.set(replyId, { sessionId, state: 'open' })
    if (replies.size > MAX_REPLIES) replies.delete(replies.keys().next().value as string)
  }

  /** The request as the thread makes it, and a wrapper for its events (when there is a thread). */
  const open = (thread: ThreadParam, request: RunRequest, replyId: string) => {
    let previous: Entry | undefined
    let prepared = request
    if (thread.type === 'create') {
      prepared = { ...request, persistSession: true }
    } else {
      previous = replies.get(thread.previous_message_id)
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
            remember(replyId, event.result.sessionId)
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
