/** Server-Sent Events framing, for the encoders of the stream pipe. */
import type { Frame } from './stream-pipe.js'

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8'

/** One event: an optional `event:` line, the data as `data:` lines, an optional `id:` line. */
export const sseEvent = (data: string, { event, id }: { event?: string; id?: string } = {}) => {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`)
  if (event) lines.unshift(`event: ${event}`)
  if (id !== undefined) lines.push(`id: ${id}`)
  return `${lines.join('\n')}\n\n` satisfies Frame
}

export const sseComment = (text: string): Frame => `: ${text}\n\n`
