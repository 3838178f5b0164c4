/**
 * What the app and the runners trace with: a tracer, and whether prompt and answer text may go
 * into spans (off unless the operator opts in). Without one, the global OpenTelemetry API's
 * tracer: a no-op unless the embedding program registered a provider, in which case spans go
 * where its other spans go.
 */
import {
  ProxyTracerProvider,
  type Span,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { isClaudeError } from '../errors/index.js'
import { VERSION } from '../lib/version.js'

export type Tracing = {
  tracer: Tracer
  /** Prompt and answer text in spans (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`). */
  content: boolean
  /**
   * Sends the spans that ended; where work after a response must be declared (Workers), each
   * request's spans are sent this way once its last one ended.
   */
  flush?: () => Promise<void>
  /**
   * Whether spans may be recorded: a provider was given, or one is registered globally now.
   * When not, a request without a `traceparent` skips tracing altogether.
   */
  active(): boolean
}

export const INSTRUMENTATION_NAME = 'claude-code-api'

export const createTracing = (
  provider?: TracerProvider,
  { content = false, flush }: { content?: boolean; flush?: () => Promise<void> } = {}
): Tracing => ({
  tracer: (provider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME, VERSION),
  content,
  ...(flush && { flush }),
  active: provider ? () => true : globalProviderRegistered,
})

/** The global API's provider is a proxy with no delegate until a program registers one. */
const globalProviderRegistered = () => {
  const global = trace.getTracerProvider()
  return (
    !(global instanceof ProxyTracerProvider) ||
    global.getDelegateTracer(INSTRUMENTATION_NAME) !== undefined
  )
}

/** The error's stable type (`error.type`, as the conventions name it), and the span failed. */
export const recordFailure = (span: Span, error: unknown) => {
  const type = isClaudeError(error) ? error.type : 'internal_error'
  span.setAttribute('error.type', type)
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
  return type
}
