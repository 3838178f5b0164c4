/**
 * A Messages request as a `RunRequest`: `system` as the system prompt, earlier turns as
 * history, `tools` as the client's own tools. A last user message of `tool_result` blocks
 * answers the calls a parked run waits on; earlier `tool_use` / `tool_result` blocks stay in
 * the history as text.
 */

import { conversationKey } from '../../run/conversation-key.js'
import type { ContentBlock, RunRequest, ToolResult } from '../../runner.js'
import { badRequest, splitTurns } from '../shared.js'
import { callAsText, resultAsText, type ToolChoice, toolOptions } from '../tool-choice.js'
import type { Block, MessagesRequest } from './schemas.js'

const imageOf = (block: Extract<Block, { type: 'image' }>, field: string): ContentBlock => {
  if (block.source.type === 'url') {
    throw badRequest(
      `${field}.source: image URLs are not fetched by this server; send base64 image data`
    )
  }
  return { type: 'image', source: block.source }
}

/** A tool result's content: its text and images. */
const resultContent = (
  block: Extract<Block, { type: 'tool_result' }>,
  field: string
): ToolResult['content'] =>
  typeof block.content === 'string' || block.content === undefined
    ? (block.content ?? '')
    : block.content.map((part, k) =>
        part.type === 'text'
          ? { type: 'text', text: part.text }
          : imageOf(part, `${field}.content.${k}`)
      )

const textOfResult = (content: ToolResult['content']) =>
  typeof content === 'string'
    ? content
    : content.map((b) => (b.type === 'text' ? b.text : '[image]')).join('\n')

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

/** The fields this server honours or can safely ignore (see docs/sdk-compatibility.md). */
const KNOWN = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'stream',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'metadata',
  'thinking',
  'service_tier',
  'thread',
])

/** A field that would change what the request means is refused, never ignored. */
const refuseUnknown = (body: MessagesRequest) => {
  const unknown = Object.keys(body).filter((key) => !KNOWN.has(key))
  if (unknown.length > 0) {
    throw badRequest(
      `${unknown.join(', ')}: not supported by this server (it would change the answer)`
    )
  }
}

/** The conversation up to the last user message that is not tool results, as the run got it. */
const conversationBefore = (body: MessagesRequest) => {
  let last = body.messages.length - 1
  const isResults = (i: number) => {
    const m = body.messages[i]
    return Array.isArray(m?.content) && m.content.some((b) => b.type === 'tool_result')
  }
  while (last >= 0 && (body.messages[last]?.role !== 'user' || isResults(last))) last--
  if (last < 0) return {}
  const messages = body.messages.slice(0, last + 1)
  return { conversation: conversationKey(toRunRequest({ ...body, messages, tools: undefined })) }
}

export const toRunRequest = (body: MessagesRequest): RunRequest => {
  refuseUnknown(body)
  const last = body.messages.at(-1)
  const results =
    last?.role === 'user' && Array.isArray(last.content)
      ? last.content.filter((b) => b.type === 'tool_result')
      : []
  if (results.length > 0) {
    // The run that made these calls goes on; it already has everything else.
    const i = body.messages.length - 1
    // The calls as the conversation shows them: the run checks they are the ones it made.
    const before = body.messages[i - 1]
    const uses =
      before?.role === 'assistant' && Array.isArray(before.content)
        ? before.content.filter((b) => b.type === 'tool_use')
        : []
    return {
      prompt: '',
      model: body.model,
      ...conversationBefore(body),
      toolResults: results.map((block, j) => {
        const use = uses.find((u) => u.id === block.tool_use_id)
        return {
          toolUseId: block.tool_use_id,
          content: resultContent(block, `messages.${i}.content.${j}`),
          ...(block.is_error && { isError: true }),
          ...(use && { call: { name: use.name, input: use.input } }),
        }
      }),
    }
  }
  const names = new Map<string, string>()
  const turns = body.messages.map((message, i) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((block, j): ContentBlock => {
            const field = `messages.${i}.content.${j}`
            if (block.type === 'text') return { type: 'text', text: block.text }
            if (block.type === 'image') return imageOf(block, field)
            // Earlier tool calls are history now: kept as text.
            if (block.type === 'tool_use') {
              names.set(block.id, block.name)
              return { type: 'text', text: callAsText(block) }
            }
            const name = names.get(block.tool_use_id) ?? 'tool'
            return {
              type: 'text',
              text: resultAsText(name, textOfResult(resultContent(block, field))),
            }
          }),
  }))
  const system =
    typeof body.system === 'string' ? body.system : body.system?.map((b) => b.text).join('\n\n')
  const tools = (body.tools ?? []).map((tool) => ({
    name: tool.name,
    ...(tool.description && { description: tool.description }),
    inputSchema: tool.input_schema,
  }))
  return {
    ...splitTurns(turns),
    model: body.model,
    maxTurns: 1,
    ...(system && { systemPrompt: system }),
    ...toolOptions(tools, choiceOf(body), body.tool_choice?.disable_parallel_tool_use === true),
  }
}
