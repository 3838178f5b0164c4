/**
 * The Responses API's stream events as this server writes them (compat/responses/), one
 * discriminated union: the builder's `event` is typed by it, and a test parses what a run
 * streams with it. Objects the events carry whole (the response, an output item, a part) are
 * checked for their kind only; their fields are the Responses API's.
 */
import * as v from 'valibot'

const Obj = v.looseObject({})
const Item = v.looseObject({ id: v.string(), type: v.string() })
const Part = v.looseObject({ type: v.string() })

const at = { item_id: v.string(), output_index: v.number() }
const event = <T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ type: v.literal(type), sequence_number: v.number(), ...entries })

export const ResponsesStreamEvent = v.variant('type', [
  event('response.created', { response: Obj }),
  event('response.in_progress', { response: Obj }),
  event('response.completed', { response: Obj }),
  event('response.incomplete', { response: Obj }),
  event('response.failed', { response: Obj }),
  event('response.cancelled', { response: Obj }),
  event('response.output_item.added', { output_index: v.number(), item: Item }),
  event('response.output_item.done', { output_index: v.number(), item: Item }),
  event('response.content_part.added', { ...at, content_index: v.number(), part: Part }),
  event('response.content_part.done', { ...at, content_index: v.number(), part: Part }),
  event('response.output_text.delta', {
    ...at,
    content_index: v.number(),
    delta: v.string(),
    logprobs: v.array(v.unknown()),
  }),
  event('response.output_text.done', {
    ...at,
    content_index: v.number(),
    text: v.string(),
    logprobs: v.array(v.unknown()),
  }),
  event('response.reasoning_summary_part.added', { ...at, summary_index: v.number(), part: Part }),
  event('response.reasoning_summary_part.done', { ...at, summary_index: v.number(), part: Part }),
  event('response.reasoning_summary_text.delta', {
    ...at,
    summary_index: v.number(),
    delta: v.string(),
  }),
  event('response.reasoning_summary_text.done', {
    ...at,
    summary_index: v.number(),
    text: v.string(),
  }),
  event('response.function_call_arguments.delta', { ...at, delta: v.string() }),
  event('response.function_call_arguments.done', {
    ...at,
    name: v.string(),
    arguments: v.string(),
  }),
])

export type ResponsesStreamEvent = v.InferOutput<typeof ResponsesStreamEvent>
export type ResponsesEventType = ResponsesStreamEvent['type']
/** An event's own fields (what the builder gives; it numbers them). */
export type ResponsesEventData<T extends ResponsesEventType> = Omit<
  Extract<ResponsesStreamEvent, { type: T }>,
  'type' | 'sequence_number'
>
