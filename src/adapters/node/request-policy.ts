/**
 * What the Node runner refuses before a run takes a slot: unsafe model names and tool names,
 * tools beyond the server's ceiling, and combinations it cannot run.
 */

import { isSafeModel, TOOL_PATTERN } from '../../contract/names.js'
import type { RunRequest } from '../../contract/runner.js'
import { PolicyError, SessionNotFoundError } from '../../errors/index.js'
import { assertRunnable } from '../../run/request-check.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A check for requests, given the built-in tools the server allows at most. */
export const createRequestPolicy = (allowedTools: readonly string[] = []) => {
  const ceiling = new Set(allowedTools)
  return (request: RunRequest) => {
    assertRunnable(request)
    if (request.model !== undefined && !isSafeModel(request.model)) {
      throw new PolicyError(`Model name not allowed: ${JSON.stringify(request.model)}`)
    }
    for (const tool of [...(request.allowedTools ?? []), ...(request.disallowedTools ?? [])]) {
      if (!TOOL_PATTERN.test(tool))
        throw new PolicyError(`Invalid tool name: ${JSON.stringify(tool)}`)
    }
    const denied = (request.allowedTools ?? []).filter((tool) => !ceiling.has(tool))
    if (denied.length > 0) {
      throw new PolicyError(`Tools not allowed by the server's policy: ${denied.join(', ')}`)
    }
    if (request.resumeSessionId !== undefined && !UUID.test(request.resumeSessionId)) {
      throw new SessionNotFoundError('No session with that id')
    }
  }
}
