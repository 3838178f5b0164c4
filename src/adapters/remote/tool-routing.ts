/**
 * What lives on one runner host — a run waiting for tool results, a kept session — must be
 * reached there again. The front door adds the host's tag to the ids the client sees
 * (`<id>~<tag>`: tool call ids, session ids) and reads it back from the follow-up (tool
 * results, `resumeSessionId`), which it sends to that host without the tag.
 */
import type { RunEvent, RunRequest } from '../../contract/runner.js'

const SEPARATOR = '~'

/** A short, stable tag for a host URL (FNV-1a), the same in every front door. */
export const hostTag = (url: string) => {
  let hash = 0x811c9dc5
  for (let i = 0; i < url.length; i++) {
    hash ^= url.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36)
}

const tag = (id: string, hostTagValue: string) => `${id}${SEPARATOR}${hostTagValue}`

/** An id as the client has it: the host's own id, and the tag of the host that holds it. */
export const splitHostTag = (id: string) => {
  const at = id.lastIndexOf(SEPARATOR)
  return at === -1 ? { id } : { id: id.slice(0, at), tag: id.slice(at + 1) }
}

/** The event as the client sees it: tool call and session ids carry the host's tag. */
export const tagForHost = (event: RunEvent, hostTagValue: string): RunEvent => {
  if (event.type === 'tool_use' && event.client)
    return { ...event, id: tag(event.id, hostTagValue) }
  if (event.type === 'init') return { ...event, sessionId: tag(event.sessionId, hostTagValue) }
  if (event.type !== 'result') return event
  const { toolCalls, sessionId } = event.result
  return {
    type: 'result',
    result: {
      ...event.result,
      sessionId: sessionId === null ? null : tag(sessionId, hostTagValue),
      ...(toolCalls?.length && {
        toolCalls: toolCalls.map((call) => ({ ...call, id: tag(call.id, hostTagValue) })),
      }),
    },
  }
}

/** The host a follow-up is for (from its ids' tag), and the request without the tags. */
export const routeToHost = (request: RunRequest) => {
  let target: string | undefined
  const strip = (id: string) => {
    const parts = splitHostTag(id)
    target ??= parts.tag
    return parts.id
  }
  const routed: RunRequest = { ...request }
  if (request.toolResults) {
    routed.toolResults = request.toolResults.map((r) => ({ ...r, toolUseId: strip(r.toolUseId) }))
  }
  if (request.resumeSessionId) routed.resumeSessionId = strip(request.resumeSessionId)
  return { tag: target, request: routed }
}
