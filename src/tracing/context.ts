/**
 * W3C trace context as it crosses a boundary: a request's `traceparent`/`tracestate` headers, the
 * runner protocol's, a CLI's `TRACEPARENT`. Contexts are passed by hand rather than through a
 * context manager: the core runs where `AsyncLocalStorage` is not a given (Workers), and a run's
 * spans outlive the handler that started them (streams).
 */
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { TraceCarrier } from '../contract/runner.js'

export type { TraceCarrier }

const propagator = new W3CTraceContextPropagator()

/** The parent a `traceparent` names (headers or a carrier); the root when there is none or it is malformed. */
export const contextFrom = (
  carrier: Readonly<Record<string, string | undefined>> | TraceCarrier | undefined
): Context =>
  carrier ? propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter) : ROOT_CONTEXT

/** A span as a carrier; none for a span with no valid context (tracing off and no parent). */
export const carrierOf = (span: Span): TraceCarrier | undefined => {
  if (!isSpanContextValid(span.spanContext())) return undefined
  const carrier: Record<string, string> = {}
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter)
  return carrier.traceparent ? (carrier as TraceCarrier) : undefined
}

/** The ids a log line or a dashboard shows, when the span has them. */
export const idsOf = (span: Span): { trace_id: string; span_id: string } | undefined => {
  const context = span.spanContext()
  return isSpanContextValid(context)
    ? { trace_id: context.traceId, span_id: context.spanId }
    : undefined
}

/** The span context a carrier names, when it names a valid one. */
export const spanContextOf = (carrier: TraceCarrier | undefined) =>
  carrier ? trace.getSpanContext(contextFrom(carrier)) : undefined

/** The trace id in a carrier. */
export const traceIdOf = (carrier: TraceCarrier | undefined) => spanContextOf(carrier)?.traceId

/** A `fetch` that sends a run's context along (to a runner host). */
export const withTraceHeaders =
  (fetchImpl: typeof fetch, carrier: TraceCarrier | undefined): typeof fetch =>
  (input, init) => {
    if (!carrier) return fetchImpl(input, init)
    const headers = new Headers(init?.headers)
    headers.set('traceparent', carrier.traceparent)
    if (carrier.tracestate) headers.set('tracestate', carrier.tracestate)
    return fetchImpl(input, { ...init, headers })
  }
