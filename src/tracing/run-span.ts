/**
 * A run's span, named and attributed as the GenAI semantic conventions name an agent's
 * invocation (`invoke_agent claude-code`, `gen_ai.*`), filled from the run's own events: the
 * session, the model, time to the first token, tokens (cache reads and writes included), cost,
 * why it stopped, and each tool round trip as an event. Prompt and answer text only with
 * `Tracing.content`.
 */
import { type Context, type Span, SpanKind, trace } from '@opentelemetry/api'
import type { RunEvent, RunRequest } from '../contract/runner.js'
import { recordFailure, type Tracing } from './tracing.js'

export const AGENT_NAME = 'claude-code'

export type RunSpan = {
  span: Span
  /** The context with this span as the parent (for the run's own parts). */
  context: Context
  /** Reads one event of the run on its way to the client. */
  see(event: RunEvent): void
  fail(error: unknown): void
  end(): void
}

const promptText = (request: RunRequest) =>
  typeof request.prompt === 'string'
    ? request.prompt
    : request.prompt
        .map((block) => (block.type === 'text' ? block.text : `[${block.type}]`))
        .join('')

export const startRunSpan = (tracing: Tracing, request: RunRequest, parent: Context): RunSpan => {
  const started = performance.now()
  const span = tracing.tracer.startSpan(
    `invoke_agent ${AGENT_NAME}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.agent.name': AGENT_NAME,
        ...(request.model && { 'gen_ai.request.model': request.model }),
        ...(request.maxOutputTokens && { 'gen_ai.request.max_tokens': request.maxOutputTokens }),
        ...(request.resumeSessionId && { 'gen_ai.conversation.id': request.resumeSessionId }),
        ...(request.toolResults?.length && {
          'claude_code_api.tool_results': request.toolResults.length,
        }),
        ...(tracing.content &&
          !request.toolResults?.length && {
            'gen_ai.input.messages': JSON.stringify([
              { role: 'user', parts: [{ type: 'text', content: promptText(request) }] },
            ]),
          }),
      },
    },
    parent
  )
  let firstToken = false
  return {
    span,
    context: trace.setSpan(parent, span),
    see(event) {
      switch (event.type) {
        case 'init':
          span.setAttribute('gen_ai.conversation.id', event.sessionId)
          return
        case 'text_delta':
        case 'thinking_delta':
          if (firstToken) return
          firstToken = true
          span.setAttribute(
            'claude_code_api.time_to_first_token_ms',
            Math.round(performance.now() - started)
          )
          return
        case 'tool_use':
          span.addEvent('gen_ai.tool.call', {
            'gen_ai.tool.name': event.name,
            'gen_ai.tool.call.id': event.id,
            'claude_code_api.tool.client': event.client === true,
          })
          return
        case 'tool_result':
          span.addEvent('gen_ai.tool.result', {
            'gen_ai.tool.call.id': event.toolUseId,
            'claude_code_api.tool.is_error': event.isError,
          })
          return
        case 'retry':
          span.addEvent('claude_code_api.retry', {
            attempt: event.attempt,
            ...(event.errorStatus !== null && { 'http.response.status_code': event.errorStatus }),
          })
          return
        case 'result': {
          const { result } = event
          const usage = result.usage
          span.setAttributes({
            ...(result.sessionId && { 'gen_ai.conversation.id': result.sessionId }),
            ...(result.model && { 'gen_ai.response.model': result.model }),
            'gen_ai.response.finish_reasons': [
              result.stopReason ?? (result.toolCalls?.length ? 'tool_use' : 'end_turn'),
            ],
            ...(usage && {
              // As the conventions count them: cache reads and writes are input tokens too.
              'gen_ai.usage.input_tokens':
                usage.input_tokens +
                usage.cache_read_input_tokens +
                usage.cache_creation_input_tokens,
              'gen_ai.usage.output_tokens': usage.output_tokens,
              'gen_ai.usage.cache_read.input_tokens': usage.cache_read_input_tokens,
              'gen_ai.usage.cache_creation.input_tokens': usage.cache_creation_input_tokens,
            }),
            'claude_code_api.cost_usd': result.totalCostUsd,
            'claude_code_api.turns': result.numTurns,
            ...(result.toolCalls?.length && {
              'claude_code_api.tool_calls_waiting': result.toolCalls.length,
            }),
            ...(tracing.content && {
              'gen_ai.output.messages': JSON.stringify([
                { role: 'assistant', parts: [{ type: 'text', content: result.text }] },
              ]),
            }),
          })
          return
        }
      }
    },
    fail: (error) => void recordFailure(span, error),
    end: () => span.end(),
  }
}

/** The run's events, each seen by its span on the way; the span ends with them. */
export async function* traced(
  events: AsyncIterable<RunEvent>,
  run: RunSpan
): AsyncGenerator<RunEvent> {
  try {
    for await (const event of events) {
      run.see(event)
      yield event
    }
  } catch (error) {
    run.fail(error)
    throw error
  } finally {
    run.end()
  }
}
