/**
 * Anthropic thread replies at the edge: in the Durable Object of the key that made them
 * (thread-object-routes.ts), so a thread started through one isolate continues through another.
 */
import * as v from 'valibot'
import { refusalFor, type ThreadReplies } from '../../compat/anthropic/thread-replies.js'
import { errorFromResponse } from '../../http/error-body.js'
import { ClaimReply } from './thread-object-routes.js'
import type { UsageNamespace } from './usage.js'

export const createDurableThreadReplies = (namespace: UsageNamespace): ThreadReplies => {
  const owners = new Map<string, string>()
  const post = async (owner: string, path: string, body?: unknown) => {
    const response = await namespace
      .get(namespace.idFromName(`responses:${owner || '~keyless'}`) as never)
      .fetch(`https://usage/threads/${path}`, {
        method: 'POST',
        ...(body !== undefined && {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      })
    if (!response.ok) throw await errorFromResponse(response)
    return response
  }
  return {
    async remember(replyId, sessionId, owner) {
      await post(owner, `${encodeURIComponent(replyId)}/remember`, { sessionId })
    },
    async claim(replyId, owner) {
      const answer = v.parse(
        ClaimReply,
        await (await post(owner, `${encodeURIComponent(replyId)}/claim`)).json()
      )
      if ('sessionId' in answer) {
        owners.set(replyId, owner)
        return answer.sessionId
      }
      throw refusalFor(answer.refused)
    },
    async settle(replyId, continued) {
      const owner = owners.get(replyId)
      if (owner === undefined) return
      owners.delete(replyId)
      await post(owner, `${encodeURIComponent(replyId)}/settle`, { continued })
    },
  }
}
