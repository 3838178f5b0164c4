/**
 * A `ClaudeRunner` over this server's public HTTP API (`/llm/query/stream`), with `fetch` only:
 * the library and the `chat` command use it to talk to a remote server with an API key.
 * Errors come back as the same typed classes; aborting cancels the request, and the server
 * kills its CLI.
 */

import { queryBodyOf } from '../api/query-codec.js'
import { NativeStreamEvent } from '../contract/native-events.js'
import type {
  ClaudeRunner,
  ModelInfo,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
  RunResult,
} from '../contract/runner.js'
import { errorFromType } from '../errors/from-wire.js'
import { CliProtocolError, RunAbortedError } from '../errors/index.js'
import { errorFromResponse } from '../http/error-body.js'
import { readEvents } from '../lib/read-events.js'
import { readRunStream } from '../lib/run-stream.js'

export type ApiRunnerOptions = {
  /** The server's base URL, e.g. `http://127.0.0.1:7742`. */
  url: string
  /** An API key (`cca_…`), sent as a Bearer token. */
  key?: string
  fetch?: typeof fetch
}

export const createApiRunner = ({
  url,
  key,
  fetch: fetchImpl = fetch,
}: ApiRunnerOptions): ClaudeRunner => {
  const base = url.replace(/\/+$/, '')
  const headers = (json: boolean): Record<string, string> => ({
    ...(key && { authorization: `Bearer ${key}` }),
    ...(json && { 'content-type': 'application/json' }),
  })

  const unreachable = (cause: unknown) =>
    errorFromType('upstream_error', `Could not reach ${base}`, { cause })

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetchImpl(`${base}${path}`, { headers: headers(false) }).catch(
      (error: unknown) => {
        throw unreachable(error)
      }
    )
    if (!response.ok) throw await errorFromResponse(response)
    return (await response.json()) as T
  }

  async function* run(request: RunRequest, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    const controller = new AbortController()
    const signal = options.signal
      ? AbortSignal.any([options.signal, controller.signal])
      : controller.signal
    const body = JSON.stringify(queryBodyOf(request))
    let response: Response
    try {
      response = await fetchImpl(`${base}/llm/query/stream`, {
        method: 'POST',
        headers: headers(true),
        body,
        signal,
      })
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
      throw unreachable(error)
    }
    if (!response.ok || !response.body) throw await errorFromResponse(response)
    yield { type: 'started' }
    let text = ''
    yield* readRunStream({
      events: readEvents(response.body, 'sse', NativeStreamEvent),
      signal,
      translate: (event): RunEvent[] => {
        if (event.type === 'chunk') {
          text += event.text
          return [{ type: 'text_delta', text: event.text }]
        }
        if (event.type === 'tool_call') {
          const { id, name, input } = event
          return [{ type: 'tool_use', id, name, input, client: true }]
        }
        if (event.type === 'error') {
          throw errorFromType(event.error_type, event.message, { retryAfter: event.retry_after })
        }
        if (event.type !== 'result') return []
        const result: RunResult = {
          text,
          sessionId: event.session_id,
          model: Object.keys(event.model_usage ?? {})[0] ?? null,
          numTurns: event.num_turns,
          totalCostUsd: event.total_cost_usd,
          durationMs: event.duration_ms,
          usage: event.usage,
          modelUsage: event.model_usage,
          ...(event.tool_calls && { toolCalls: event.tool_calls }),
        }
        return [{ type: 'result', result }]
      },
      noResult: () => new CliProtocolError('The server ended the stream without a result'),
      close: () => controller.abort(),
    })
  }

  return {
    run,
    status: () => get<RunnerStatus>('/llm/status'),
    models: async () => (await get<{ models: ModelInfo[] }>('/llm/models')).models,
  }
}
