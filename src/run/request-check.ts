/** Checks every run gets before anything is spent on it, whoever asks (HTTP, library, host). */

import type { RunRequest } from '../contract/runner.js'
import { ValidationError } from '../errors/index.js'

/** True when content has no image and no text but white space. */
export const isBlankContent = (content: RunRequest['prompt']) =>
  typeof content === 'string'
    ? content.trim() === ''
    : content.every((block) => block.type === 'text' && block.text.trim() === '')

/**
 * Claude Code's own tools: a client tool may share a name with one (Claude Code as a client
 * defines its Read and Bash), but not in a run that also allows the built-in of that name, where
 * a call could be either.
 */
const BUILT_IN_TOOLS = new Set(
  [
    'Bash',
    'BashOutput',
    'Edit',
    'ExitPlanMode',
    'Glob',
    'Grep',
    'KillShell',
    'LS',
    'MultiEdit',
    'NotebookEdit',
    'NotebookRead',
    'Read',
    'SlashCommand',
    'Skill',
    'StructuredOutput',
    'Task',
    'TodoWrite',
    'WebFetch',
    'WebSearch',
    'Write',
  ].map((name) => name.toLowerCase())
)

/** What a client tool may be called (as ClientTool's schema says, for callers that skip it). */
const CLIENT_TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** Tools a request may define. */
export const MAX_CLIENT_TOOLS = 64

const invalid = (field: string, message: string) =>
  new ValidationError(`${field}: ${message}`, { errors: [{ field, message }] })

const assertClientTools = (
  tools: NonNullable<RunRequest['tools']>,
  allowed: readonly string[] = []
) => {
  const builtIns = new Set(allowed.map((name) => name.toLowerCase()))
  if (tools.length > MAX_CLIENT_TOOLS) {
    throw invalid('tools', `at most ${MAX_CLIENT_TOOLS} tools per request`)
  }
  const seen = new Set<string>()
  for (const tool of tools) {
    // The name goes on the CLI's command line (`--allowedTools=mcp__client__<name>`): a comma or
    // a parenthesis there would be a rule of its own.
    if (!CLIENT_TOOL_NAME.test(tool.name)) {
      throw invalid(
        'tools',
        `${JSON.stringify(tool.name)} is not a tool name (1–64 letters, digits, _ or -)`
      )
    }
    const lower = tool.name.toLowerCase()
    if (BUILT_IN_TOOLS.has(lower) && builtIns.has(lower)) {
      throw invalid(
        'tools',
        `${tool.name} is also allowed as Claude Code's own tool in this run; name yours differently or leave it out of allowed_tools`
      )
    }
    if (seen.has(tool.name)) throw invalid('tools', `${tool.name} is defined twice`)
    seen.add(tool.name)
  }
}

/** A blank prompt would reach the model as "(no content)": a billed call for nothing. */
export const assertRunnable = (request: RunRequest) => {
  if (request.tools) assertClientTools(request.tools, request.allowedTools)
  if (request.history?.length && request.resumeSessionId) {
    throw invalid(
      'history',
      'cannot be combined with session_id (a kept session has its own history)'
    )
  }
  // Tool results continue a parked run: they are the input, and the prompt is not sent.
  if (!request.toolResults?.length && isBlankContent(request.prompt)) {
    throw new ValidationError('prompt: is empty; send some text or an image', {
      errors: [{ field: 'prompt', message: 'is empty' }],
    })
  }
}
