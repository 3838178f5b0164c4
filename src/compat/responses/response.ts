/**
 * A Response as the Responses API shapes it, built from a run's events: the output items
 * (reasoning, the message, function calls) as they stream, each stream event with its
 * `sequence_number`, and the response object at the end. One builder serves both the stream
 * and the plain answer, so the ids a client streamed are the ids it can fetch later.
 */
import type { ClaudeError } from '../../errors/index.js'
import type { RunEvent, RunResult } from '../../runner.js'
import type { ResponsesRequest } from './schemas.js'

export type StreamEvent = { type: string; sequence_number: number } & Record<string, unknown>
type Item = Record<string, unknown> & { id: string; type: string }

const id = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`
export const responseId = () => id('resp')

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
  tools: (body.tools ?? []).filter((tool) => tool.type === 'function'),
  top_p: body.top_p ?? 1,
  truncation: 'disabled',
  user: null,
  background: false,
})

export type ResponseBuilder = ReturnType<typeof createResponseBuilder>

export const createResponseBuilder = (body: ResponsesRequest, responseIdValue = responseId()) => {
  const createdAt = Math.floor(Date.now() / 1000)
  const output: Item[] = []
  let sequence = 0
  let text: { item: Item; index: number; text: string } | undefined
  let thought: { item: Item; index: number; text: string } | undefined
  let final: Record<string, unknown> | undefined
  const event = (type: string, data: Record<string, unknown> = {}): StreamEvent => ({
    type,
    sequence_number: sequence++,
    ...data,
  })

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

  const openText = (): StreamEvent[] => {
    if (text) return []
    const item: Item = {
      id: id('msg'),
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    }
    text = { item, index: output.push(item) - 1, text: '' }
    const at = { item_id: item.id, output_index: text.index, content_index: 0 }
    return [
      event('response.output_item.added', { output_index: text.index, item: { ...item } }),
      event('response.content_part.added', {
        ...at,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    ]
  }
  const closeText = (): StreamEvent[] => {
    if (!text) return []
    const { item, index } = text
    const part = { type: 'output_text', text: text.text, annotations: [], logprobs: [] }
    Object.assign(item, { status: 'completed', content: [part] })
    const at = { item_id: item.id, output_index: index, content_index: 0 }
    text = undefined
    return [
      event('response.output_text.done', { ...at, text: part.text, logprobs: [] }),
      event('response.content_part.done', { ...at, part }),
      event('response.output_item.done', { output_index: index, item }),
    ]
  }
  const addText = (delta: string): StreamEvent[] => {
    const frames = openText()
    const open = text as NonNullable<typeof text>
    open.text += delta
    const at = { item_id: open.item.id, output_index: open.index, content_index: 0 }
    return [...frames, event('response.output_text.delta', { ...at, delta, logprobs: [] })]
  }
  const addThinking = (delta: string): StreamEvent[] => {
    const frames: StreamEvent[] = []
    if (!thought) {
      const item: Item = { id: id('rs'), type: 'reasoning', summary: [] }
      thought = { item, index: output.push(item) - 1, text: '' }
      const at = { item_id: item.id, output_index: thought.index, summary_index: 0 }
      frames.push(
        event('response.output_item.added', { output_index: thought.index, item: { ...item } }),
        event('response.reasoning_summary_part.added', {
          ...at,
          part: { type: 'summary_text', text: '' },
        })
      )
    }
    thought.text += delta
    const at = { item_id: thought.item.id, output_index: thought.index, summary_index: 0 }
    return [...frames, event('response.reasoning_summary_text.delta', { ...at, delta })]
  }
  const closeThinking = (): StreamEvent[] => {
    if (!thought) return []
    const { item, index } = thought
    const part = { type: 'summary_text', text: thought.text }
    item.summary = [part]
    const at = { item_id: item.id, output_index: index, summary_index: 0 }
    thought = undefined
    return [
      event('response.reasoning_summary_text.done', { ...at, text: part.text }),
      event('response.reasoning_summary_part.done', { ...at, part }),
      event('response.output_item.done', { output_index: index, item }),
    ]
  }
  const addCall = (call: { id: string; name: string; input: unknown }): StreamEvent[] => {
    const args = JSON.stringify(call.input ?? {})
    const item: Item = {
      id: id('fc'),
      type: 'function_call',
      status: 'completed',
      call_id: call.id,
      name: call.name,
      arguments: args,
    }
    const index = output.push(item) - 1
    return [
      ...closeText(),
      event('response.output_item.added', {
        output_index: index,
        item: { ...item, arguments: '', status: 'in_progress' },
      }),
      event('response.function_call_arguments.delta', {
        item_id: item.id,
        output_index: index,
        delta: args,
      }),
      event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: index,
        name: call.name,
        arguments: args,
      }),
      event('response.output_item.done', { output_index: index, item }),
    ]
  }

  return {
    id: responseIdValue,
    /** The first events: the response exists and is under way. */
    start: (): StreamEvent[] => [
      event('response.created', { response: response('in_progress') }),
      event('response.in_progress', { response: response('in_progress') }),
    ],
    event(runEvent: RunEvent): StreamEvent[] {
      if (runEvent.type === 'thinking_delta') return addThinking(runEvent.text)
      if (runEvent.type === 'thinking_signature') return closeThinking()
      if (runEvent.type === 'text_delta' && runEvent.text)
        return [...closeThinking(), ...addText(runEvent.text)]
      if (runEvent.type === 'tool_use' && runEvent.client)
        return [...closeThinking(), ...addCall(runEvent)]
      return []
    },
    /** The run's result: what did not stream is added, then the response ends. */
    finish(result: RunResult): StreamEvent[] {
      const frames = closeThinking()
      const streamed = output.filter((item) => item.type === 'message').length > 0 || text
      if (!streamed && (result.text || !result.toolCalls?.length))
        frames.push(...addText(result.text))
      frames.push(...closeText())
      const made = new Set(
        output.flatMap((item) => (item.type === 'function_call' ? [item.call_id] : []))
      )
      for (const call of result.toolCalls ?? [])
        if (!made.has(call.id)) frames.push(...addCall(call))
      const status = result.stopReason === 'max_tokens' ? 'incomplete' : 'completed'
      final = response(status, result)
      frames.push(event(`response.${status}`, { response: final }))
      return frames
    },
    failed(error: ClaudeError): StreamEvent[] {
      final = response('failed', undefined, error)
      return [...closeThinking(), ...closeText(), event('response.failed', { response: final })]
    },
    /** The response as it ended (after `finish` or `failed`). */
    final: () => final,
  }
}
