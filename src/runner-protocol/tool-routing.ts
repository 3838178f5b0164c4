/**
 * A run waiting for tool results lives on the runner host that started it, so its follow-up
 * must go there. The front door adds the host's tag to the tool call ids the client sees
 * (`<id>~<tag>`) and reads it back from the results, which it sends on without the tag.
 */
import type { RunEvent, RunRequest } from '../runner.js'

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

/** The event as the client sees it: client tool call ids carry the host's tag. */
export const tagToolCalls = (event: RunEvent, hostTagValue: string): RunEvent => {
  if (event.type === 'tool_use' && event.client)
    return { ...event, id: tag(event.id, hostTagValue) }
  if (event.type === 'result' && event.result.toolCalls?.length) {
    const toolCalls = event.result.toolCalls.map((call) => ({
      ...call,
      id: tag(call.id, hostTagValue),
    }))
    return { type: 'result', result: { ...event.result, toolCalls } }
  }
  return event
}

/** The host the results are for (from their ids' tag), and the request without the tags. */
export const routeToolResults = (request: RunRequest) => {
  let target: string | undefined
  const toolResults = request.toolResults?.map((result) => {
    const at = result.toolUseId.lastIndexOf(SEPARATOR)
    if (at === -1) return result
    target ??= result.toolUseId.slice(at + 1)
    return { ...result, toolUseId: result.toolUseId.slice(0, at) }
  })
  return { tag: target, request: toolResults ? { ...request, toolResults } : request }
}
