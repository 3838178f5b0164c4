/**
 * A Messages request as a `RunRequest`: `system` as the system prompt (Claude Code's `system`
 * entries among the messages as system reminders where they stand), earlier turns as history,
 * `tools` as the client's own tools, and the generation controls the CLI can honour. A last user message of
 * `tool_result` blocks answers the calls a parked run waits on.
 */

import type { HistoryBlock, HistoryTurn, RunRequest } from '../../contract/runner.js'
import { blocksOf, isContent } from '../../run/content.js'
import { conversationKey } from '../../run/conversation-key.js'
import { fieldsOf } from '../fields.js'
import { badRequest, outputCapOf, refuseUnknownFields, splitTurns } from '../shared.js'
import { type ToolChoice, toolOptions } from '../tool-choice.js'
import { reminderOf, resultContent, turnContent } from './content.js'
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

/** The user and assistant messages, as sent (`system` entries are context within them). */
const spoken = (body: MessagesRequest) => body.messages.filter((m) => m.role !== 'system')

/** Tool results come first in a user turn (as the API wants them); its context right after. */
const leadingResults = (blocks: HistoryBlock[]) => {
  const i = blocks.findIndex((b) => b.type !== 'tool_result')
  return i === -1 ? blocks.length : i
}

/**
 * The turns, each `system` entry kept with the user turn it follows (or, first or after an
 * assistant turn, the next one), as a system reminder before that turn's words: where the CLI
 * puts its own context.
 */
const turnsOf = (messages: MessagesRequest['messages']): HistoryTurn[] => {
  const turns: HistoryTurn[] = []
  let pending: HistoryBlock[] = []
  /** Where the next reminder goes in the last user turn. */
  let at = 0
  for (const [i, message] of messages.entries()) {
    if (message.role === 'system') {
      const reminder = reminderOf(message.content)
      const last = turns.at(-1)
      if (last?.role !== 'user' || pending.length > 0) pending.push(...reminder)
      else {
        const blocks = blocksOf(last.content)
        last.content = [...blocks.slice(0, at), ...reminder, ...blocks.slice(at)]
        at += reminder.length
      }
      continue
    }
    const content =
      typeof message.content === 'string'
        ? message.content
        : turnContent(message.content, `messages.${i}.content`)
    if (message.role === 'user') {
      const blocks = blocksOf(content)
      const lead = leadingResults(blocks)
      turns.push({
        role: 'user',
        content:
          pending.length > 0
            ? [...blocks.slice(0, lead), ...pending, ...blocks.slice(lead)]
            : content,
      })
      at = lead + pending.length
      pending = []
      // A turn of earlier thinking only has nothing left to say.
    } else if (content.length > 0) turns.push({ role: message.role, content })
  }
  return turns
}

/**
 * The conversation up to the last user message that is not tool results (with the `system`
 * entries right after it), as the run got it.
 */
const conversationBefore = (body: MessagesRequest) => {
  const { messages } = body
  const isResults = (m: MessagesRequest['messages'][number]) =>
    Array.isArray(m.content) && m.content.some((b) => b.type === 'tool_result')
  const last = messages.reduce(
    (found, m, i) => (m.role === 'user' && !isResults(m) ? i : found),
    -1
  )
  if (last < 0) return {}
  let end = last + 1
  while (messages[end]?.role === 'system') end++
  return {
    conversation: conversationKey(
      toRunRequest({ ...body, messages: messages.slice(0, end), tools: undefined })
    ),
  }
}

/** Tool results that answer the calls of the assistant message before them. */
const followUp = (body: MessagesRequest): RunRequest | undefined => {
  const turns = spoken(body)
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
  const at = body.messages.indexOf(last as (typeof turns)[number])
  const field = `messages.${at}.content`
  // The run that made these calls goes on; it already has everything else. What the turn says
  // besides the results (context after them) is not sent: it is the turn as the client keeps it.
  const said = turnsOf(body.messages.slice(at)).at(-1)?.content ?? ''
  return {
    prompt: typeof said === 'string' ? said : said.filter(isContent),
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
  const turns = turnsOf(body.messages)
  const system = withoutAttribution(
    typeof body.system === 'string' ? body.system : body.system?.map((b) => b.text).join('\n\n')
  )
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
    ...controlsOf(body),
    ...offered,
  }
}
