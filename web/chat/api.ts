/**
 * The page's calls to its own server: the model list and the streamed native query
 * (`POST /llm/query/stream`), with the key from the "API key" field as the Bearer token. Failures
 * become sentences a person can act on.
 */
import type * as v from 'valibot'
import type { QueryRequest } from '../../src/api/schemas.js'
import { NativeStreamEvent } from '../../src/contract/native-events.js'
import type { ContentBlock, HistoryTurn, ModelInfo } from '../../src/contract/runner.js'
import { errorFromType } from '../../src/errors/from-wire.js'
import { readEvents } from '../../src/lib/read-events.js'

export type { ContentBlock, HistoryTurn, ModelInfo }

/** What the page sends to `/llm/query/stream` (always with a model). */
export type QueryBody = Pick<v.InferInput<typeof QueryRequest>, 'prompt' | 'images' | 'history'> & {
  model: string
}

/** The events the page shows; an error's message is already a sentence for a person. */
export type StreamEvent = Extract<NativeStreamEvent, { type: 'chunk' | 'result' | 'error' }>

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
      for await (const event of readEvents(response.body, 'sse', NativeStreamEvent)) {
        if (event.type === 'error') {
          const message = explain(event.error_type, event.message, { hasKey: hasKey() })
          yield { ...event, message }
        } else if (event.type === 'chunk' || event.type === 'result') {
          yield event
        }
      }
    },
  }
}
