/**
 * A Messages request as a `RunRequest`: `system` as the system prompt (Claude Code's `system`
 * entries among the messages as the turn's context), earlier turns as history, `tools` as the client's
 * own tools, and the generation controls the CLI can honour. A last user message of
 * `tool_result` blocks answers the calls a parked run waits on.
 */

import type { HistoryTurn, RunRequest } from '../../contract/runner.js'
import { conversationKey } from '../../run/conversation-key.js'
import { fieldsOf } from '../fields.js'
import { badRequest, outputCapOf, refuseUnknownFields, splitTurns } from '../shared.js'
import { type ToolChoice, toolOptions } from '../tool-choice.js'
import { resultContent, systemEntriesText, turnContent } from './content.js'
import { MessagesRequest } from './schemas.js'

const choiceOf = (body: MessagesRequest): ToolChoice | undefined => {
  const choice = body.tool_choice
  if (!choice) return undefined
  if (choice.type !== 'tool') {
    if (choice.type === 'none') return { kind: 'none' }
    return choice.type === 'any' ? { kind: 'required' } : undefined
  }
  if (!body.tools?.some((tool) => tool.name === choice.name)) {
    throw badRequest(`tool_choice: no tool named ${choice.name} in tools`)
  }
  return { kind: 'named', name: choice.name }
}

/** Every field the real API documents, and what Claude Code sends (see docs/sdk-compatibility.md). */
const FIELDS = fieldsOf(MessagesRequest)

/** Accepted but not honoured: the CLI has no such knob. Named in a response header. */
export const IGNORED = FIELDS.ignored

/** What would change the request's meaning is refused by name, never ignored. */
const refuseUnsupported = (body: MessagesRequest) => {
  refuseUnknownFields(body, FIELDS.known)
  if (body.container !== undefined || body.mcp_servers !== undefined) {
    throw badRequest(
      'container, mcp_servers: server-side tools are not available through Claude Code; define the tools yourself'
    )
  }
  if (body.output_config?.format !== undefined) {
    throw badRequest('output_config.format: structured outputs are not supported on this endpoint')
  }
}

/** What the run honours of the request's generation controls. */
const controlsOf = (body: MessagesRequest): Partial<RunRequest> => {
  const thinking = body.thinking
  const shown = thinking && thinking.type !== 'disabled' && thinking.display !== 'omitted'
  return {
    ...outputCapOf(body.max_tokens),
    ...(body.output_config?.effort && { effort: body.output_config.effort }),
    ...(shown && { thinking: thinking.display === 'summarized' ? 'summarized' : 'updates' }),
  }
}

/**
 * Claude Code's attribution line (`x-anthropic-billing-header: cc_version=…;`) is metadata for
 * the API, not instructions, and it changes on every call: passed on, it would make every
 * request's system prompt new, so nothing after it could be read from the prompt cache. The
 * server's own CLI sends its own.
 */
const ATTRIBUTION = /^x-anthropic-billing-header:[^\n]*(\n+|$)/

const withoutAttribution = (system: string | undefined) => system?.replace(ATTRIBUTION, '')

/** The conversation's user and assistant turns (`system` entries are context, not turns). */
const turnsOf = (body: MessagesRequest) => body.messages.filter((m) => m.role !== 'system')

/** The conversation up to the last user message that is not tool results, as the run got it. */
const conversationBefore = (body: MessagesRequest) => {
  const turns = turnsOf(body)
  let last = turns.length - 1
  const isResults = (i: number) => {
    const m = turns[i]
    return Array.isArray(m?.content) && m.content.some((b) => b.type === 'tool_result')
  }
  while (last >= 0 && (turns[last]?.role !== 'user' || isResults(last))) last--
  if (last < 0) return {}
  const messages = turns.slice(0, last + 1)
  return { conversation: conversationKey(toRunRequest({ ...body, messages, tools: undefined })) }
}

/** Tool results that answer the calls of the assistant message before them. */
const followUp = (body: MessagesRequest): RunRequest | undefined => {
  const turns = turnsOf(body)
  const i = turns.length - 1
  const last = turns[i]
  const results =
    last?.role === 'user' && Array.isArray(last.content)
      ? last.content.filter((b) => b.type === 'tool_result')
      : []
  if (results.length === 0) return undefined
  // The calls as the conversation shows them: the run checks they are the ones it made.
  const before = turns[i - 1]
  const uses =
    before?.role === 'assistant' && Array.isArray(before.content)
      ? before.content.filter((b) => b.type === 'tool_use')
      : []
  const field = `messages.${body.messages.indexOf(last as (typeof turns)[number])}.content`
  // The run that made these calls goes on; it already has everything else.
  return {
    prompt: '',
    model: body.model,
    ...conversationBefore(body),
    toolResults: results.map((block, j) => {
      const use = uses.find((u) => u.id === block.tool_use_id)
      return {
        toolUseId: block.tool_use_id,
        content: resultContent(block, `${field}.${j}`),
        ...(block.is_error && { isError: true }),
        ...(use && { call: { name: use.name, input: use.input } }),
      }
    }),
  }
}

export const toRunRequest = (body: MessagesRequest): RunRequest => {
  refuseUnsupported(body)
  const continued = followUp(body)
  if (continued) return continued
  const turns: HistoryTurn[] = []
  body.messages.forEach((message, i) => {
    if (message.role === 'system') return
    const content =
      typeof message.content === 'string'
        ? message.content
        : turnContent(message.content, `messages.${i}.content`)
    // A turn of earlier thinking only has nothing left to say.
    if (content.length > 0) turns.push({ role: message.role, content })
  })
  const system = withoutAttribution(
    typeof body.system === 'string' ? body.system : body.system?.map((b) => b.text).join('\n\n')
  )
  const context = systemEntriesText(body.messages)
  const tools = (body.tools ?? []).map((tool) => ({
    name: tool.name,
    ...(tool.description && { description: tool.description }),
    inputSchema: tool.input_schema,
  }))
  const offered = toolOptions(
    tools,
    choiceOf(body),
    body.tool_choice?.disable_parallel_tool_use === true
  )
  return {
    ...splitTurns(turns),
    model: body.model,
    maxTurns: 1,
    ...(system && { systemPrompt: system }),
    // This turn's context: not conversation (a tool follow-up is not checked against it), and
    // sent with the prompt, so a process kept for the same system prompt and tools can serve it.
    ...(context && { context }),
    ...controlsOf(body),
    ...offered,
  }
}
