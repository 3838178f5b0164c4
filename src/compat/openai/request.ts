/**
 * A Chat Completions request as a `RunRequest`: system and developer messages become the system
 * prompt, earlier turns real history, `response_format` a JSON schema, `tools` the client's own
 * tools; trailing `tool` messages answer the calls a parked run waits on. What cannot be
 * honoured is refused with a 400, never dropped silently.
 */
import type { Validator } from '@cfworker/json-schema'
import type { ContentBlock, HistoryTurn, RunEvent, RunRequest } from '../../contract/runner.js'
import { StructuredOutputError } from '../../errors/index.js'
import { assistantTurn } from '../../run/content.js'
import { conversationKey } from '../../run/conversation-key.js'
import { fieldsOf } from '../fields.js'
import {
  badRequest,
  documentFromDataUrl,
  effortOf,
  imageFromDataUrl,
  outputCapOf,
  parseArguments,
  splitTurns,
} from '../shared.js'
import { type ToolChoice, toolOptions } from '../tool-choice.js'
import { ChatCompletionRequest } from './schemas.js'

const textOf = (content: string | Array<{ text: string }>) =>
  typeof content === 'string' ? content : content.map((p) => p.text).join('\n')

const refuseUnsupported = (body: ChatCompletionRequest) => {
  if (body.functions?.length || body.function_call) {
    throw badRequest('functions: the legacy function calling fields are not supported; use tools')
  }
  if (body.n && body.n > 1) throw badRequest('n: only one choice (n = 1) is supported')
  if (body.logprobs) throw badRequest('logprobs: log probabilities are not available')
  if (body.modalities?.some((m) => m !== 'text'))
    throw badRequest('modalities: only text output is supported')
}

const userContent = (
  content: Extract<ChatCompletionRequest['messages'][number], { role: 'user' }>['content'],
  i: number
): HistoryTurn['content'] =>
  typeof content === 'string'
    ? content
    : content.map((part, j): ContentBlock => {
        const field = `messages.${i}.content.${j}`
        if (part.type === 'text') return { type: 'text', text: part.text }
        if (part.type === 'image_url')
          return imageFromDataUrl(part.image_url.url, `${field}.image_url.url`)
        if (!part.file.file_data) {
          throw badRequest(
            `${field}.file: stored files (file_id) are not available; send file_data`
          )
        }
        return documentFromDataUrl(
          part.file.file_data,
          `${field}.file.file_data`,
          part.file.filename
        )
      })

const jsonSchemaOf = (format: ChatCompletionRequest['response_format']) => {
  if (format?.type === 'json_object') return { type: 'object' }
  if (format?.type === 'json_schema') return format.json_schema.schema ?? { type: 'object' }
  return undefined
}

const choiceOf = (body: ChatCompletionRequest): ToolChoice | undefined => {
  const choice = body.tool_choice
  if (!choice) return undefined
  if (typeof choice === 'string') return { kind: choice }
  if (!body.tools?.some((tool) => tool.function.name === choice.function.name)) {
    throw badRequest(`tool_choice: no tool named ${choice.function.name} in tools`)
  }
  return { kind: 'named', name: choice.function.name }
}

const clientTools = (body: ChatCompletionRequest) =>
  (body.tools ?? []).map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description && { description: tool.function.description }),
    inputSchema: tool.function.parameters ?? { type: 'object', properties: {} },
  }))

/**
 * Trailing `tool` messages: the results a parked run waits on, each with its call as the
 * assistant message before them shows it (the run checks it is the call it made).
 */
const trailingResults = (messages: ChatCompletionRequest['messages']) => {
  const results: NonNullable<RunRequest['toolResults']> = []
  let i = messages.length - 1
  for (; i >= 0; i--) {
    const message = messages[i]
    if (message?.role !== 'tool') break
    results.unshift({ toolUseId: message.tool_call_id, content: textOf(message.content) })
  }
  const assistant = messages[i]
  const calls = assistant?.role === 'assistant' ? (assistant.tool_calls ?? []) : []
  return results.map((result) => {
    const call = calls.find((c) => c.id === result.toolUseId)
    return call
      ? {
          ...result,
          call: { name: call.function.name, input: parseArguments(call.function.arguments) },
        }
      : result
  })
}

/** Accepted but not honoured: the CLI has no such knob. Named in a response header. */
export const IGNORED = fieldsOf(ChatCompletionRequest).ignored

/** What the run honours of the request's generation controls; asking for effort shows thinking. */
const controlsOf = (body: ChatCompletionRequest): Partial<RunRequest> => {
  const effort = effortOf(body.reasoning_effort)
  return {
    ...outputCapOf(body.max_completion_tokens ?? body.max_tokens),
    ...effort,
    ...(effort.effort && { thinking: 'updates' }),
  }
}

/** The stop sequences, as a list. */
export const stopOf = (body: ChatCompletionRequest) =>
  typeof body.stop === 'string' ? [body.stop] : (body.stop ?? undefined)

export const toRunRequest = (body: ChatCompletionRequest): RunRequest => {
  refuseUnsupported(body)
  const toolResults = trailingResults(body.messages)
  if (toolResults.length > 0) {
    // The run that made these calls goes on; it already has everything else, and checks that
    // the conversation shown before them is the one it was given.
    return { prompt: '', model: body.model, toolResults, ...conversationBefore(body) }
  }
  const system: string[] = []
  const turns: HistoryTurn[] = []
  body.messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(textOf(message.content))
        return
      case 'user':
        turns.push({ role: 'user', content: userContent(message.content, i) })
        return
      case 'assistant': {
        if (message.function_call) {
          throw badRequest(`messages.${i}: function_call is the legacy form; use tool_calls`)
        }
        // Earlier tool calls are history now, as the blocks the model made them.
        const calls = (message.tool_calls ?? []).map((call) => ({
          id: call.id,
          name: call.function.name,
          input: parseArguments(call.function.arguments),
        }))
        turns.push(assistantTurn(message.content ? textOf(message.content) : '', calls))
        return
      }
      case 'tool':
        turns.push({
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: message.tool_call_id,
              content: textOf(message.content),
            },
          ],
        })
        return
      default:
        throw badRequest(`messages.${i}: function messages are the legacy form; use tool messages`)
    }
  })
  const jsonSchema = jsonSchemaOf(body.response_format)
  const tools = toolOptions(clientTools(body), choiceOf(body), body.parallel_tool_calls === false)
  if (tools.tools && jsonSchema) {
    throw badRequest('tools: cannot be combined with a JSON response_format')
  }
  return {
    ...splitTurns(turns),
    model: body.model,
    ...(system.length > 0 && { systemPrompt: system.join('\n\n') }),
    // Structured output takes one extra turn: the tool call, then its acknowledgement.
    maxTurns: jsonSchema ? 2 : 1,
    ...(jsonSchema && { jsonSchema }),
    ...controlsOf(body),
    ...tools,
  }
}

/** The conversation up to the last user message, as the waiting run was started with it. */
const conversationBefore = (body: ChatCompletionRequest) => {
  let last = body.messages.length - 1
  while (last >= 0 && body.messages[last]?.role !== 'user') last--
  if (last < 0) return {}
  const messages = body.messages.slice(0, last + 1)
  return { conversation: conversationKey(toRunRequest({ ...body, messages, tools: undefined })) }
}

/**
 * With a JSON format the answer is the structured output: validated, and sent as the message
 * text (the model's prose around the tool call is dropped).
 */
export async function* structuredAnswer(
  events: AsyncIterable<RunEvent>,
  validator: Validator
): AsyncGenerator<RunEvent> {
  for await (const event of events) {
    if (event.type === 'text_delta') continue
    if (event.type === 'result') {
      const output = event.result.structuredOutput
      if (!validator.validate(output).valid) {
        throw new StructuredOutputError('The model output does not match the JSON schema')
      }
      yield { type: 'result', result: { ...event.result, text: JSON.stringify(output) } }
      continue
    }
    yield event
  }
}
