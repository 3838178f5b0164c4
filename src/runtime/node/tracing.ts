/**
 * Tracing as OpenTelemetry's standard environment sets it up: OTLP over HTTP (`http/protobuf`,
 * the default, or `http/json`) to `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces endpoint), with
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`(`_ARG`), the exporter's
 * headers, timeout and compression, and the batch processor's `OTEL_BSP_*`. Off unless an
 * endpoint is set (or with `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`); then nothing
 * is built and runs trace with the API's no-op tracer.
 */
import { parseKeyPairsIntoRecord } from '@opentelemetry/core'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import type { OtlpTargets } from '../../adapters/node/process/telemetry-relay.js'
import { ConfigError } from '../../errors/index.js'
import { VERSION } from '../../lib/version.js'
import { createTracing, type Tracing } from '../../tracing/tracing.js'

export type OtelEnv = Record<string, string | undefined>

export type ServerTracing = {
  tracing: Tracing
  /** Where the CLI's own telemetry goes (the runner's `telemetry`). */
  cli: OtlpTargets
  /** Sends what is still batched, then stops. */
  shutdown(): Promise<void>
}

type Signal = 'traces' | 'metrics' | 'logs'

const read = (env: OtelEnv, name: string) => env[name]?.trim() || undefined

const endpointOf = (env: OtelEnv, signal: Signal) => {
  const own = read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`)
  if (own) return own
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  return base && `${base.replace(/\/$/, '')}/v1/${signal}`
}

const headersOf = (env: OtelEnv, signal: Signal) => ({
  ...parseKeyPairsIntoRecord(read(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
  ...parseKeyPairsIntoRecord(read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`)),
})

/** Whether a signal's exporter list (`OTEL_METRICS_EXPORTER=otlp,…`) names OTLP. */
const exportsOtlp = (env: OtelEnv, name: string, otherwise: boolean) => {
  const value = read(env, name)
  return value === undefined ? otherwise : value.split(',').some((part) => part.trim() === 'otlp')
}

const number = (env: OtelEnv, name: string) => {
  const value = read(env, name)
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0) throw new ConfigError(`${name}: not a number`)
  return parsed
}

const samplerOf = (env: OtelEnv): Sampler => {
  const ratio = number(env, 'OTEL_TRACES_SAMPLER_ARG') ?? 1
  if (ratio > 1) throw new ConfigError('OTEL_TRACES_SAMPLER_ARG: a ratio between 0 and 1')
  const name = read(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on'
  const samplers: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
  }
  const make = samplers[name]
  if (!make) {
    throw new ConfigError(
      `OTEL_TRACES_SAMPLER: ${name} is not one of ${Object.keys(samplers).join(', ')}`
    )
  }
  return make()
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
  if (
    !traces ||
    read(env, 'OTEL_SDK_DISABLED') === 'true' ||
    !exportsOtlp(env, 'OTEL_TRACES_EXPORTER', true)
  )
    return undefined
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
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...parseKeyPairsIntoRecord(read(env, 'OTEL_RESOURCE_ATTRIBUTES')),
      'service.name': read(env, 'OTEL_SERVICE_NAME') ?? 'claude-code-api',
      'service.version': VERSION,
    })
  )
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerOf(env),
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: number(env, 'OTEL_BSP_SCHEDULE_DELAY'),
        maxQueueSize: number(env, 'OTEL_BSP_MAX_QUEUE_SIZE'),
        maxExportBatchSize: number(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
        exportTimeoutMillis: number(env, 'OTEL_BSP_EXPORT_TIMEOUT'),
      }),
    ],
  })
  const content = read(env, 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') === 'true'
  const target = (signal: Signal, on: boolean) => {
    const url = endpointOf(env, signal)
    return on && url ? { url, headers: headersOf(env, signal) } : undefined
  }
  return {
    tracing: createTracing(provider, content),
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
