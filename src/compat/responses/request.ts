/**
 * A Responses request as a `RunRequest`: `instructions` and system/developer messages as the
 * system prompt, earlier items as history (a stored response's conversation first, with
 * `previous_response_id`), function tools as the client's own tools, and the generation controls
 * the CLI can honour. Trailing `function_call_output` items answer the calls a parked run waits
 * on. What cannot be honoured is refused by name, or left out and named in a header.
 */

import type { ContentBlock, HistoryTurn, RunRequest } from '../../contract/runner.js'
import { conversationKey } from '../../run/conversation-key.js'
import { fieldsOf } from '../fields.js'
import {
  badRequest,
  documentFromDataUrl,
  effortOf,
  imageFromDataUrl,
  outputCapOf,
  parseArguments,
  refuseUnknownFields,
  splitTurns,
} from '../shared.js'
import { TOOL_MAX_TURNS, toolOptions } from '../tool-choice.js'
import { type InputItem, type Part, ResponsesRequest } from './schemas.js'
import { choiceOf, clientTools, hostedTools, runName } from './tools.js'

type Item = InputItem & { type?: string }
type Message = Extract<InputItem, { role: string }>
type Call = Extract<InputItem, { type: 'function_call' }>
type Output = Extract<InputItem, { type: 'function_call_output' }>

const isMessage = (item: Item): item is Message =>
  'role' in item && (item.type ?? 'message') === 'message'
const isCall = (item: Item): item is Call => item.type === 'function_call'
const isOutput = (item: Item): item is Output => item.type === 'function_call_output'

const FIELDS = fieldsOf(ResponsesRequest)

/** Accepted but not honoured: the CLI has no such knob. Named in a response header. */
export const IGNORED = FIELDS.ignored

const refuseUnsupported = (body: ResponsesRequest) => {
  refuseUnknownFields(body, FIELDS.known)
  if (body.background && body.store === false) {
    throw badRequest('background: a background response is kept to be fetched; it needs store')
  }
  for (const field of ['conversation', 'prompt', 'context_management'] as const) {
    if (body[field] != null) throw badRequest(`${field}: not supported by this server`)
  }
}

export const itemsOf = (body: ResponsesRequest): Item[] =>
  typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : (body.input ?? [])

const textOfParts = (content: string | Part[]) =>
  typeof content === 'string'
    ? content
    : content
        .flatMap((p) => (p.type === 'input_text' || p.type === 'output_text' ? [p.text] : []))
        .join('\n')

const userContent = (content: string | Part[], field: string): HistoryTurn['content'] =>
  typeof content === 'string'
    ? content
    : content.map((part, j): ContentBlock => {
        const at = `${field}.${j}`
        if (part.type === 'input_text' || part.type === 'output_text')
          return { type: 'text', text: part.text }
        if (part.type === 'refusal') return { type: 'text', text: part.refusal }
        if (part.type === 'input_image') {
          if (!part.image_url)
            throw badRequest(
              `${at}: stored files (file_id) are not available; send image_url as a data: URL`
            )
          return imageFromDataUrl(part.image_url, `${at}.image_url`)
        }
        // An item that failed the message schema can still arrive here as an unknown item.
        if ((part.type as string) !== 'input_file') {
          throw badRequest(`${at}: content parts of type ${part.type} are not supported`)
        }
        if (!part.file_data)
          throw badRequest(
            `${at}: only file_data (a data: URL) is taken; file_id and file_url are not`
          )
        return documentFromDataUrl(part.file_data, `${at}.file_data`, part.filename ?? undefined)
      })

/** The input as system text and turns (earlier calls and their outputs as text). */
const conversationOf = (items: Item[]) => {
  const system: string[] = []
  const turns: HistoryTurn[] = []
  items.forEach((item, i) => {
    if (isMessage(item)) {
      if (item.role === 'system' || item.role === 'developer')
        system.push(textOfParts(item.content))
      else if (item.role === 'assistant')
        turns.push({ role: 'assistant', content: textOfParts(item.content) })
      else turns.push({ role: 'user', content: userContent(item.content, `input.${i}.content`) })
    } else if (isCall(item)) {
      turns.push({
        role: 'assistant',
        content: [
          {
            type: 'tool_use',
            id: item.call_id,
            name: runName(item),
            input: parseArguments(item.arguments),
          },
        ],
      })
    } else if (isOutput(item)) {
      const output = textOfParts(item.output)
      turns.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: item.call_id, content: output }],
      })
    } else if (item.type !== 'reasoning') {
      throw badRequest(`input.${i}: items of type ${item.type} are not supported by this server`)
    }
  })
  return { system, turns: turns.filter((t) => t.content.length > 0) }
}

/** Trailing function call outputs, with the calls before them as the input shows them. */
const trailingOutputs = (items: Item[]) => {
  let i = items.length - 1
  const outputs: Output[] = []
  for (; i >= 0; i--) {
    const item = items[i] as Item
    if (isOutput(item)) outputs.unshift(item)
    else if (item.type !== 'reasoning') break
  }
  const calls: Call[] = []
  for (; i >= 0; i--) {
    const item = items[i] as Item
    if (isCall(item)) calls.unshift(item)
    else if (item.type !== 'reasoning') break
  }
  return { outputs, calls, before: items.slice(0, i + 1) }
}

const jsonSchemaOf = (body: ResponsesRequest) => {
  const format = body.text?.format
  if (format?.type === 'json_object') return { type: 'object' }
  return format?.type === 'json_schema' ? format.schema : undefined
}

/** What the run honours of the generation controls; a reasoning summary asked for shows thinking. */
const controlsOf = (body: ResponsesRequest): Partial<RunRequest> => {
  return {
    ...outputCapOf(body.max_output_tokens),
    ...effortOf(body.reasoning?.effort),
    ...(body.reasoning?.summary && { thinking: 'summarized' }),
  }
}

/**
 * The run for this request. `prior` is a stored response's conversation (previous_response_id):
 * its turns come first; its calls are what its outputs answer. `available`: Claude Code's own
 * tools the key and the server allow, which hosted tools may map to.
 */
export const toRunRequest = (
  body: ResponsesRequest,
  prior?: { turns: HistoryTurn[]; calls: Array<{ id: string; name: string; input: unknown }> },
  available: readonly string[] = []
): RunRequest => {
  refuseUnsupported(body)
  const items = itemsOf(body)
  const { outputs, calls, before } = trailingOutputs(items)
  if (outputs.length > 0) {
    const made = [
      ...(prior?.calls ?? []),
      ...calls.map((c) => ({
        id: c.call_id,
        name: runName(c),
        input: parseArguments(c.arguments),
      })),
    ]
    return {
      prompt: '',
      model: body.model,
      // Stateless: the conversation before the calls must be the one the waiting run was given.
      ...(!prior && conversationBefore(body, before)),
      toolResults: outputs.map((output) => {
        const call = made.find((c) => c.id === output.call_id)
        return {
          toolUseId: output.call_id,
          content: textOfParts(output.output),
          ...(call && { call: { name: call.name, input: call.input } }),
        }
      }),
    }
  }
  const { system, turns } = conversationOf(items)
  const instructions = [body.instructions, ...system].filter(Boolean).join('\n\n')
  const jsonSchema = jsonSchemaOf(body)
  const tools = toolOptions(clientTools(body), choiceOf(body), body.parallel_tool_calls === false)
  if (tools.tools && jsonSchema)
    throw badRequest('tools: cannot be combined with a JSON text.format')
  const hosted = body.tool_choice === 'none' ? [] : hostedTools(body, available)
  return {
    ...splitTurns([...(prior?.turns ?? []), ...turns]),
    model: body.model,
    ...(instructions && { systemPrompt: instructions }),
    // Structured output takes one extra turn: the tool call, then its acknowledgement.
    maxTurns: jsonSchema ? 2 : 1,
    ...(jsonSchema && { jsonSchema }),
    ...controlsOf(body),
    ...tools,
    ...(hosted.length > 0 && { allowedTools: hosted, maxTurns: hostedTurns(body) }),
  }
}

/**
 * Model turns a run with hosted tools may take: `max_tool_calls` turns that call them, and one to
 * answer. The CLI counts turns, not calls (a turn's parallel calls count once), and ends the run
 * when the last turn calls a tool again.
 */
const hostedTurns = (body: ResponsesRequest) =>
  body.max_tool_calls == null ? TOOL_MAX_TURNS : body.max_tool_calls + 1

/** The conversation up to the last user message before the calls, as the run was given it. */
const conversationBefore = (body: ResponsesRequest, before: Item[]) => {
  let last = before.length - 1
  while (
    last >= 0 &&
    !(isMessage(before[last] as Item) && (before[last] as Message).role === 'user')
  )
    last--
  if (last < 0) return {}
  const input = before.slice(0, last + 1)
  return {
    conversation: conversationKey(
      toRunRequest({ ...body, input, tools: undefined, tool_choice: undefined })
    ),
  }
}

/** The conversation through this request's input (the stored one first), for storing. */
export const turnsThrough = (body: ResponsesRequest, prior?: { turns: HistoryTurn[] }) => [
  ...(prior?.turns ?? []),
  ...conversationOf(itemsOf(body)).turns,
]
