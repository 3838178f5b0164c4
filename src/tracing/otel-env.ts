/**
 * OpenTelemetry's standard environment variables, read from a plain record (a process's
 * environment, a Worker's bindings): endpoints, headers, exporters and the sampler.
 */
import { parseKeyPairsIntoRecord } from '@opentelemetry/core'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import { ConfigError } from '../errors/index.js'

export type OtelEnv = Record<string, string | undefined>

export type Signal = 'traces' | 'metrics' | 'logs'

export const read = (env: OtelEnv, name: string) => env[name]?.trim() || undefined

export const endpointOf = (env: OtelEnv, signal: Signal) => {
  const own = read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`)
  if (own) return own
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  return base && `${base.replace(/\/$/, '')}/v1/${signal}`
}

export const headersOf = (env: OtelEnv, signal: Signal) => ({
  ...parseKeyPairsIntoRecord(read(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
  ...parseKeyPairsIntoRecord(read(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`)),
})

/** Whether a signal's exporter list (`OTEL_METRICS_EXPORTER=otlp,…`) names OTLP. */
export const exportsOtlp = (env: OtelEnv, name: string, otherwise: boolean) => {
  const value = read(env, name)
  return value === undefined ? otherwise : value.split(',').some((part) => part.trim() === 'otlp')
}

export const number = (env: OtelEnv, name: string) => {
  const value = read(env, name)
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed < 0) throw new ConfigError(`${name}: not a number`)
  return parsed
}

export const samplerOf = (env: OtelEnv): Sampler => {
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

/** Whether traces are set up: an endpoint, and neither the SDK nor the traces exporter off. */
export const tracesOn = (env: OtelEnv) =>
  endpointOf(env, 'traces') !== undefined &&
  read(env, 'OTEL_SDK_DISABLED') !== 'true' &&
  exportsOtlp(env, 'OTEL_TRACES_EXPORTER', true)

/** Prompt and answer text in spans, only when the operator opts in. */
export const contentOn = (env: OtelEnv) =>
  read(env, 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') === 'true'
