/** A conversation as the API takes it, and a result event as the page shows it. */
import type { HistoryTurn } from './api.js'
import type { ReplyMeta, Turn } from './store.js'

/** Earlier turns as the model should see them: replies that failed without text are left out. */
export const historyOf = (turns: Turn[]): HistoryTurn[] =>
  turns
    .filter((turn) => turn.role === 'user' || turn.text)
    .map((turn) => {
      const note = turn.droppedImages
        ? `[${turn.droppedImages} image(s) no longer available]\n`
        : ''
      if (turn.role === 'assistant' || !turn.images?.length) {
        return { role: turn.role, content: note + turn.text }
      }
      return {
        role: 'user',
        content: [
          ...turn.images.map((image) => ({
            type: 'image' as const,
            source: { type: 'base64' as const, media_type: image.media_type, data: image.data },
          })),
          { type: 'text' as const, text: turn.text || ' ' },
        ],
      }
    })

/** Model, tokens (cache reads and writes count as input) and cost of a reply. */
export const metaOf = (
  event: {
    total_cost_usd: number
    duration_ms: number
    usage: Record<string, number> | null
    model_usage: Record<string, unknown> | null
  },
  alias: string
): ReplyMeta => {
  const usage = event.usage ?? {}
  return {
    model: Object.keys(event.model_usage ?? {})[0] ?? alias,
    input_tokens:
      (usage.input_tokens ?? 0) +
      (usage.cache_read_input_tokens ?? 0) +
      (usage.cache_creation_input_tokens ?? 0),
    output_tokens: usage.output_tokens ?? 0,
    cost_usd: event.total_cost_usd,
    duration_ms: event.duration_ms,
  }
}
