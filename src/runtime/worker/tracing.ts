/**
 * Tracing at the edge, from the same standard variables as bindings: `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or the traces endpoint), `OTEL_EXPORTER_OTLP_HEADERS` (a secret), `OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`(`_ARG`). Spans go as OTLP/JSON over `fetch`
 * (the exporter's web build), sent once each request's last span ended, within the request's
 * `waitUntil`. Off without an endpoint.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ConfigError } from '../../errors/index.js'
import {
  contentOn,
  endpointOf,
  headersOf,
  number,
  type OtelEnv,
  read,
  tracesOn,
} from '../../tracing/otel-env.js'
import { createTracerProvider } from '../../tracing/provider.js'
import { createTracing, type Tracing } from '../../tracing/tracing.js'

/** The bindings that set tracing up (part of what identifies an isolate's app). */
export const OTEL_BINDINGS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_TRACES_EXPORTER',
  'OTEL_SDK_DISABLED',
  'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
] as const

export type OtelBindings = Partial<Record<(typeof OTEL_BINDINGS)[number], string>>

/** Only the tracing bindings, as strings. */
export const otelBindingsOf = (env: OtelBindings): OtelEnv =>
  Object.fromEntries(OTEL_BINDINGS.map((name) => [name, env[name]]))

export const createWorkerTracing = (env: OtelEnv): Tracing | undefined => {
  const url = endpointOf(env, 'traces')
  if (!url || !tracesOn(env)) return undefined
  const protocol = read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/json'
  if (protocol !== 'http/json') {
    throw new ConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not supported at the edge; use http/json`
    )
  }
  const exporter = new OTLPTraceExporter({
    url,
    headers: headersOf(env, 'traces'),
    timeoutMillis: number(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') ?? 10_000,
  })
  // Sent when a request's spans have all ended (request-span.ts), not on a timer: an isolate's
  // timers do not outlive its requests.
  const provider = createTracerProvider(
    env,
    new BatchSpanProcessor(exporter, { scheduledDelayMillis: 3_600_000 })
  )
  return createTracing(provider, { content: contentOn(env), flush: () => provider.forceFlush() })
}
