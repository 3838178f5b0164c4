/**
 * A tracer provider as the standard environment describes it: the service (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`) and the sampler; the runtime brings the exporter and its processor.
 */
import { parseKeyPairsIntoRecord } from '@opentelemetry/core'
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { VERSION } from '../lib/version.js'
import { type OtelEnv, read, samplerOf } from './otel-env.js'

export const createTracerProvider = (env: OtelEnv, processor: SpanProcessor) =>
  new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...parseKeyPairsIntoRecord(read(env, 'OTEL_RESOURCE_ATTRIBUTES')),
        'service.name': read(env, 'OTEL_SERVICE_NAME') ?? 'claude-code-api',
        'service.version': VERSION,
      })
    ),
    sampler: samplerOf(env),
    spanProcessors: [processor],
  })
