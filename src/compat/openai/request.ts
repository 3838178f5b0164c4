/**
 * A Chat Completions request as a `RunRequest`: system and developer messages become the system
 * prompt, earlier turns real history, `response_format` a JSON schema. What cannot be honoured
 * is refused with a 400, never dropped silently.
 */
import type { Validator } from '@cfworker/json-schema'
import { StructuredOutputError } from '../../errors.js'
import type { ContentBlock, HistoryTurn, RunEvent, RunRequest } from '../../runner.js'
import { badRequest, imageFromDataUrl, splitTurns } from '../shared.js'
import type { ChatCompletionRequest } from './schemas.js'

const textOf = (content: string | Array<{ text: string }>) =>
  typeof content === 'string' ? content : content.map((p) => p.text).join('\n')

const refuseUnsupported = (body: ChatCompletionRequest) => {
  if (body.tools?.length || body.functions?.length) {
    throw badRequest(
      'tools: tool and function calling is not supported by this server (Claude Code runs its own tools); send the request without tools'
    )
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
    : content.map(
        (part, j): ContentBlock =>
          part.type === 'text'
            ? { type: 'text', text: part.text }
            : imageFromDataUrl(part.image_url.url, `messages.${i}.content.${j}.image_url.url`)
      )

const jsonSchemaOf = (format: ChatCompletionRequest['response_format']) => {
  if (format?.type === 'json_object') return { type: 'object' }
  if (format?.type === 'json_schema') return format.json_schema.schema ?? { type: 'object' }
  return undefined
}

export const toRunRequest = (body: ChatCompletionRequest): RunRequest => {
  refuseUnsupported(body)
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
      case 'assistant':
        if (message.tool_calls || message.function_call) {
          throw badRequest(`messages.${i}: assistant tool calls are not supported`)
        }
        turns.push({ role: 'assistant', content: message.content ? textOf(message.content) : '' })
        return
      default:
        throw badRequest(
          `messages.${i}: ${message.role} messages are not supported (no tool calling)`
        )
    }
  })
  const jsonSchema = jsonSchemaOf(body.response_format)
  return {
    ...splitTurns(turns),
    model: body.model,
    ...(system.length > 0 && { systemPrompt: system.join('\n\n') }),
    // Structured output takes one extra turn: the tool call, then its acknowledgement.
    maxTurns: jsonSchema ? 2 : 1,
    ...(jsonSchema && { jsonSchema }),
  }
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
