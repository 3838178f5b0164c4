/**
 * A response's output items as they stream: the message (its text), the reasoning (its summary)
 * and function calls, each opened, added to and closed with the events the Responses API sends.
 */

import type {
  ResponsesEventData,
  ResponsesEventType,
  ResponsesStreamEvent,
} from '../../contract/responses-events.js'

/** One event of the Responses stream, numbered in order (contract/responses-events.ts). */
export type StreamEvent = ResponsesStreamEvent
/** Makes an event of `type` from its own fields, numbering it. */
export type EventMaker = <T extends ResponsesEventType>(
  type: T,
  data: ResponsesEventData<T>
) => StreamEvent
export type Item = Record<string, unknown> & { id: string; type: string }
type Open = { item: Item; index: number; text: string }

export const itemId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`

export const createOutputItems = (
  event: EventMaker,
  /** How the client names a call of the run's tool (a namespaced one split). */
  callName: (name: string) => { name: string; namespace?: string } = (name) => ({ name })
) => {
  const output: Item[] = []
  let text: Open | undefined
  let thought: Open | undefined

  const openText = (): StreamEvent[] => {
    if (text) return []
    const item: Item = {
      id: itemId('msg'),
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
      const item: Item = { id: itemId('rs'), type: 'reasoning', summary: [] }
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
    const named = callName(call.name)
    const item: Item = {
      id: itemId('fc'),
      type: 'function_call',
      status: 'completed',
      call_id: call.id,
      ...named,
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
        name: named.name,
        arguments: args,
      }),
      event('response.output_item.done', { output_index: index, item }),
    ]
  }

  return {
    output,
    /** Whether a message item exists or is open. */
    hasMessage: () => text !== undefined || output.some((item) => item.type === 'message'),
    addText,
    closeText,
    addThinking,
    closeThinking,
    addCall,
  }
}
