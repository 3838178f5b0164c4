/**
 * The Responses API's event stream: every builder event as an SSE event of its own type (with
 * its `sequence_number`), from `response.created` to `response.completed`, `.incomplete` or
 * `.failed`.
 */
import { SSE_CONTENT_TYPE, sseComment, sseEvent } from '../../http/sse.js'
import type { StreamEncoder } from '../../http/stream-pipe.js'
import type { StreamEvent } from './output-items.js'
import type { ResponseBuilder } from './response.js'

const frames = (events: StreamEvent[]) =>
  events.map((event) => sseEvent(JSON.stringify(event), { event: event.type }))

export const createResponsesEncoder = (builder: ResponseBuilder): StreamEncoder => ({
  contentType: SSE_CONTENT_TYPE,
  open: () => frames(builder.start()),
  event: (event) =>
    frames(event.type === 'result' ? builder.finish(event.result) : builder.event(event)),
  error: (error) => frames(builder.failed(error)),
  heartbeat: () => sseComment('keep-alive'),
})
