/**
 * A Response as the Responses API shapes it, built from a run's events: the output items
 * (reasoning, the message, function calls) as they stream, each stream event with its
 * `sequence_number`, and the response object at the end. One builder serves both the stream
 * and the plain answer, so the ids a client streamed are the ids it can fetch later.
 */

import type { RunEvent, RunResult } from '../../contract/runner.js'
import type { ClaudeError } from '../../errors/index.js'
import { cutAtLimit } from '../../run/result.js'
import { createOutputItems, type EventMaker, itemId, type StreamEvent } from './output-items.js'
import type { ResponsesRequest } from './schemas.js'
import { createCallNames } from './tools.js'

export const responseId = () => itemId('resp')

export const usageOf = (result: RunResult | undefined) => {
  const u = result?.usage
  const input = u ? u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens : 0
  const output = u?.output_tokens ?? 0
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.cache_read_input_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  }
}

/** The request's settings as a response repeats them. */
const echoOf = (body: ResponsesRequest) => ({
  instructions: body.instructions ?? null,
  max_output_tokens: body.max_output_tokens ?? null,
  metadata: body.metadata ?? {},
  parallel_tool_calls: body.parallel_tool_calls ?? true,
  previous_response_id: body.previous_response_id ?? null,
  reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
  store: body.store ?? true,
  temperature: body.temperature ?? 1,
  text: { format: body.text?.format ?? { type: 'text' } },
  tool_choice: body.tool_choice ?? 'auto',
  tools: (body.tools ?? []).filter((tool) => tool.type === 'function' || tool.type === 'namespace'),
  top_p: body.top_p ?? 1,
  truncation: 'disabled',
  user: null,
  background: false,
})

export type ResponseBuilder = ReturnType<typeof createResponseBuilder>

export const createResponseBuilder = (body: ResponsesRequest, responseIdValue = responseId()) => {
  const createdAt = Math.floor(Date.now() / 1000)
  let sequence = 0
  let final: Record<string, unknown> | undefined
  // The union member of `type` with its fields, numbered (TypeScript cannot follow a generic
  // spread into the union; the maker's signature is what call sites are checked against).
  const event: EventMaker = (type, data) =>
    ({ type, sequence_number: sequence++, ...data }) as unknown as StreamEvent
  const items = createOutputItems(event, createCallNames(body))
  const { output } = items

  const response = (status: string, result?: RunResult, error?: ClaudeError) => ({
    id: responseIdValue,
    object: 'response',
    created_at: createdAt,
    status,
    error: error ? { code: error.type, message: error.message } : null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    model: body.model,
    output,
    output_text: output
      .flatMap((item) =>
        item.type === 'message' ? [(item.content as Array<{ text: string }>)[0]?.text ?? ''] : []
      )
      .join(''),
    usage: result ? usageOf(result) : null,
    ...echoOf(body),
  })

  return {
    id: responseIdValue,
    /** The first events: the response exists and is under way. */
    start: (): StreamEvent[] => [
      event('response.created', { response: response('in_progress') }),
      event('response.in_progress', { response: response('in_progress') }),
    ],
    event(runEvent: RunEvent): StreamEvent[] {
      if (runEvent.type === 'thinking_delta') return items.addThinking(runEvent.text)
      if (runEvent.type === 'thinking_signature') return items.closeThinking()
      if (runEvent.type === 'text_delta' && runEvent.text)
        return [...items.closeThinking(), ...items.addText(runEvent.text)]
      if (runEvent.type === 'tool_use' && runEvent.client)
        return [...items.closeThinking(), ...items.addCall(runEvent)]
      return []
    },
    /** The run's result: what did not stream is added, then the response ends. */
    finish(result: RunResult): StreamEvent[] {
      const frames = items.closeThinking()
      if (!items.hasMessage() && (result.text || !result.toolCalls?.length)) {
        frames.push(...items.addText(result.text))
      }
      frames.push(...items.closeText())
      const made = new Set(
        output.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : []))
      )
      for (const call of result.toolCalls ?? [])
        if (!made.has(call.id)) frames.push(...items.addCall(call))
      const status = cutAtLimit(result) ? 'incomplete' : 'completed'
      final = response(status, result)
      frames.push(event(`response.${status}`, { response: final }))
      return frames
    },
    failed(error: ClaudeError): StreamEvent[] {
      final = response('failed', undefined, error)
      return [
        ...items.closeThinking(),
        ...items.closeText(),
        event('response.failed', { response: final }),
      ]
    },
    /** Stopped on the client's request: the response as it stood. */
    cancelled(): StreamEvent[] {
      final = response('cancelled')
      return [
        ...items.closeThinking(),
        ...items.closeText(),
        event('response.cancelled', { response: final }),
      ]
    },
    /** The response as it ended (after `finish`, `failed` or `cancelled`). */
    final: () => final,
    /** The response now: as it ended, or under way with the output so far. */
    current: () => final ?? response('in_progress'),
  }
}
