/**
 * A `ClaudeRunner` over this server's public HTTP API (`/llm/query/stream`), with `fetch` only:
 * the library and the `chat` command use it to talk to a remote server with an API key.
 * Errors come back as the same typed classes; aborting cancels the request, and the server
 * kills its CLI.
 */

import { NativeStreamEvent } from '../api/stream-events.js'
import { errorFromType } from '../errors/from-wire.js'
import { CliProtocolError, PolicyError, RunAbortedError } from '../errors/index.js'
import { errorFromResponse } from '../http/error-body.js'
import { readEvents } from '../lib/read-events.js'
import type {
  ClaudeRunner,
  ModelInfo,
  RunEvent,
  RunnerStatus,
  RunOptions,
  RunRequest,
  RunResult,
} from '../runner.js'

export type ApiRunnerOptions = {
  /** The server's base URL, e.g. `http://127.0.0.1:7742`. */
  url: string
  /** An API key (`cca_…`), sent as a Bearer token. */
  key?: string
  fetch?: typeof fetch
}

const toBody = (request: RunRequest) => {
  // The public /llm/query API has no such fields: refuse rather than drop them.
  if (request.history?.length) {
    throw new PolicyError('createApiRunner cannot send history; use a kept session instead')
  }
  if (request.jsonSchema) {
    throw new PolicyError(
      'createApiRunner cannot ask for structured output; use /llm/json or chatJson without a schema'
    )
  }
  const unsendable = (['maxOutputTokens', 'effort', 'thinking', 'context'] as const).filter(
    (field) => request[field] !== undefined
  )
  if (unsendable.length > 0) {
    throw new PolicyError(
      `createApiRunner cannot send ${unsendable.join(', ')}: the public /llm API has no such fields`
    )
  }
  if (typeof request.prompt !== 'string' && request.prompt.some((b) => b.type === 'document')) {
    throw new PolicyError(
      'createApiRunner cannot send documents: the public /llm API takes images only'
    )
  }
  const prompt = request.prompt
  const text =
    typeof prompt === 'string'
      ? prompt
      : prompt
          .filter((b) => b.type === 'text')
          .map((b) => b.text)
          .join('\n')
  const images =
    typeof prompt === 'string'
      ? undefined
      : prompt.flatMap((b) =>
          b.type === 'image' ? [{ data: b.source.data, media_type: b.source.media_type }] : []
        )
  return {
    prompt: text,
    ...(images?.length && { images }),
    ...(request.systemPrompt !== undefined && { system: request.systemPrompt }),
    ...(request.appendSystemPrompt !== undefined && { append_system: request.appendSystemPrompt }),
    ...(request.model !== undefined && { model: request.model }),
    ...(request.maxTurns !== undefined && { max_turns: request.maxTurns }),
    ...(request.allowedTools && { allowed_tools: request.allowedTools }),
    ...(request.disallowedTools && { disallowed_tools: request.disallowedTools }),
    ...(request.resumeSessionId && { session_id: request.resumeSessionId }),
    ...(request.persistSession && { persist_session: true }),
    ...(request.maxBudgetUsd !== undefined && { max_budget_usd: request.maxBudgetUsd }),
    ...(request.timeoutMs !== undefined && { timeout_ms: request.timeoutMs }),
    ...(request.tools?.length && {
      tools: request.tools.map((tool) => ({
        name: tool.name,
        ...(tool.description && { description: tool.description }),
        input_schema: tool.inputSchema,
      })),
    }),
    ...(request.toolResults?.length && {
      tool_results: request.toolResults.map((r) => ({
        tool_use_id: r.toolUseId,
        content: r.content,
        ...(r.isError && { is_error: true }),
      })),
    }),
  }
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
    const body = JSON.stringify(toBody(request))
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
    try {
      for await (const event of readEvents(response.body, 'sse', NativeStreamEvent)) {
        if (event.type === 'chunk') {
          text += event.text
          yield { type: 'text_delta', text: event.text }
        } else if (event.type === 'tool_call') {
          const { id, name, input } = event
          yield { type: 'tool_use', id, name, input, client: true }
        } else if (event.type === 'error') {
          throw errorFromType(event.error_type, event.message, { retryAfter: event.retry_after })
        } else if (event.type === 'result') {
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
          yield { type: 'result', result }
          return
        }
      }
    } catch (error) {
      if (signal.aborted) throw new RunAbortedError('The run was aborted', { cause: error })
      throw error
    } finally {
      controller.abort()
    }
    throw new CliProtocolError('The server ended the stream without a result')
  }

  return {
    run,
    status: () => get<RunnerStatus>('/llm/status'),
    models: async () => (await get<{ models: ModelInfo[] }>('/llm/models')).models,
  }
}
