/**
 * The page's calls to its own server: the model list and the streamed native query
 * (`POST /llm/query/stream`), with the key from the "API key" field as the Bearer token. Failures
 * become sentences a person can act on.
 */
import { errorFromType } from '../../src/errors/from-wire.js'
import { readSseData } from '../../src/lib/sse-read.js'

export type ModelInfo = { id: string; api_id: string; name: string; description: string }

export type HistoryTurn = { role: 'user' | 'assistant'; content: string | ContentBlock[] }
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } }

export type QueryBody = {
  prompt: string
  images?: Array<{ data: string; media_type: string }>
  history?: HistoryTurn[]
  model: string
}

export type RunUsage = { input_tokens: number; output_tokens: number }

export type StreamEvent =
  | { type: 'chunk'; text: string }
  | {
      type: 'result'
      total_cost_usd: number
      duration_ms: number
      usage: RunUsage | null
      model_usage: Record<string, unknown> | null
    }
  | { type: 'error'; message: string; error_type: string }

export class ChatError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly status?: number
  ) {
    super(message)
  }
}

/** The sentence for an error type (from an HTTP error or a stream's `error` event). */
export const explain = (
  type: string,
  detail: string,
  context: { status?: number; retryAfter?: number; hasKey: boolean }
): string => {
  if (type === 'unauthorized' || context.status === 401) {
    return context.hasKey
      ? 'The API key was not accepted. Check the "API key" field.'
      : 'This server needs an API key: type it in the "API key" field.'
  }
  // The error's own class says whether trying again later can help.
  const error = errorFromType(type, detail)
  if ((error.type === type && error.retryable) || context.status === 429) {
    const wait = context.retryAfter ? ` Try again in ${context.retryAfter} s.` : ' Try again soon.'
    const busy = error.status === 429 || context.status === 429
    const why =
      type === 'quota_exceeded'
        ? `Limit reached: ${detail}`
        : busy
          ? 'The server is busy.'
          : detail || 'The server could not answer.'
    return `${why}${wait}`
  }
  if (type === 'not_logged_in' || type === 'upstream_auth_error') {
    return 'Claude Code on the server is not logged in. The operator must log it in (claude login) or set a token.'
  }
  if (type === 'payload_too_large' || context.status === 413) {
    return 'The message is too large. Send fewer or smaller images.'
  }
  if (type === 'forbidden') return `Not allowed with this key: ${detail}`
  return detail || `Request failed (${type})`
}

const errorOf = async (response: Response, hasKey: boolean) => {
  const body = (await response.json().catch(() => ({}))) as { detail?: string; type?: string }
  const type = body.type ?? `http_${response.status}`
  const retryAfter = Number(response.headers.get('retry-after')) || undefined
  const message = explain(type, body.detail ?? '', {
    status: response.status,
    retryAfter,
    hasKey,
  })
  return new ChatError(message, type, response.status)
}

export const createApi = (key: () => string) => {
  const headers = (): Record<string, string> => {
    const value = key().trim()
    return {
      'content-type': 'application/json',
      ...(value && { authorization: `Bearer ${value}` }),
    }
  }
  const hasKey = () => key().trim() !== ''

  return {
    async models(): Promise<ModelInfo[]> {
      const response = await fetch('/llm/models', { headers: headers() })
      if (!response.ok) throw await errorOf(response, hasKey())
      return ((await response.json()) as { models: ModelInfo[] }).models
    },

    async *query(body: QueryBody, signal: AbortSignal): AsyncGenerator<StreamEvent> {
      let response: Response
      try {
        response = await fetch('/llm/query/stream', {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify(body),
          signal,
        })
      } catch (error) {
        if (signal.aborted) throw error
        throw new ChatError('The server cannot be reached. Is it running?', 'network')
      }
      if (!response.ok || !response.body) throw await errorOf(response, hasKey())
      for await (const data of readSseData(response.body)) {
        const event = JSON.parse(data) as { type: string } & Record<string, unknown>
        if (event.type === 'error') {
          const message = explain(String(event.error_type), String(event.message ?? ''), {
            hasKey: hasKey(),
          })
          yield { type: 'error', message, error_type: String(event.error_type) }
        } else if (event.type === 'chunk' || event.type === 'result') {
          yield event as StreamEvent
        }
      }
    },
  }
}
