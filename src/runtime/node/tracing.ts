/**
 * Tracing as OpenTelemetry's standard environment sets it up: OTLP over HTTP (`http/protobuf`,
 * the default, or `http/json`) to `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces endpoint), with
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`(`_ARG`), the exporter's
 * headers, timeout and compression, and the batch processor's `OTEL_BSP_*`. Off unless an
 * endpoint is set (or with `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`); then nothing
 * is built and runs trace with the API's no-op tracer.
 */
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { OtlpTargets } from '../../adapters/node/process/telemetry-relay.js'
import { ConfigError } from '../../errors/index.js'
import {
  contentOn,
  endpointOf,
  exportsOtlp,
  headersOf,
  number,
  type OtelEnv,
  read,
  type Signal,
  tracesOn,
} from '../../tracing/otel-env.js'
import { createTracerProvider } from '../../tracing/provider.js'
import { createTracing, type Tracing } from '../../tracing/tracing.js'

export type { OtelEnv }

export type ServerTracing = {
  tracing: Tracing
  /** Where the CLI's own telemetry goes (the runner's `telemetry`). */
  cli: OtlpTargets
  /** Sends what is still batched, then stops. */
  shutdown(): Promise<void>
}

/** The CLI's settings among the operator's: its metrics and logs exporters and their cadence. */
const cliEnvOf = (env: OtelEnv): Record<string, string> => {
  const passed: Record<string, string> = {}
  if (exportsOtlp(env, 'OTEL_METRICS_EXPORTER', false)) passed.OTEL_METRICS_EXPORTER = 'otlp'
  if (exportsOtlp(env, 'OTEL_LOGS_EXPORTER', false)) passed.OTEL_LOGS_EXPORTER = 'otlp'
  for (const name of [
    'OTEL_METRIC_EXPORT_INTERVAL',
    'OTEL_LOGS_EXPORT_INTERVAL',
    'OTEL_BSP_SCHEDULE_DELAY',
    'OTEL_RESOURCE_ATTRIBUTES',
  ]) {
    const value = read(env, name)
    if (value !== undefined) passed[name] = value
  }
  return passed
}

/** Tracing from the environment, or none when it is not set up. */
export const createServerTracing = (env: OtelEnv): ServerTracing | undefined => {
  const traces = endpointOf(env, 'traces')
  if (!traces || !tracesOn(env)) return undefined
  const protocol =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf'
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: ${protocol} is not supported; use http/protobuf or http/json`
    )
  }
  const compression =
    (read(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ??
      read(env, 'OTEL_EXPORTER_OTLP_COMPRESSION')) === 'gzip'
      ? 'gzip'
      : 'none'
  const config = {
    url: traces,
    headers: headersOf(env, 'traces'),
    timeoutMillis:
      number(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ??
      number(env, 'OTEL_EXPORTER_OTLP_TIMEOUT') ??
      10_000,
    compression,
  } as ConstructorParameters<typeof JsonExporter>[0]
  const exporter =
    protocol === 'http/json' ? new JsonExporter(config) : new ProtobufExporter(config)
  const provider = createTracerProvider(
    env,
    new BatchSpanProcessor(exporter, {
      scheduledDelayMillis: number(env, 'OTEL_BSP_SCHEDULE_DELAY'),
      maxQueueSize: number(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
      maxExportBatchSize: number(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      exportTimeoutMillis: number(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
    })
  )
  const content = contentOn(env)
  const target = (signal: Signal, on: boolean) => {
    const url = endpointOf(env, signal)
    return on && url ? { url, headers: headersOf(env, signal) } : undefined
  }
  return {
    tracing: createTracing(provider, { content }),
    cli: {
      traces: target('traces', true),
      metrics: target('metrics', exportsOtlp(env, 'OTEL_METRICS_EXPORTER', false)),
      logs: target('logs', exportsOtlp(env, 'OTEL_LOGS_EXPORTER', false)),
      env: cliEnvOf(env),
      content,
    },
    shutdown: () => provider.shutdown(),
  }
}
