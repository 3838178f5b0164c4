import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors/index.js'
import { createServerTracing } from '../../src/runtime/node/tracing.js'
import { createWorkerTracing } from '../../src/runtime/worker/tracing.js'

const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }

describe('tracing from the standard environment', () => {
  it('is on with an endpoint, off without one or when turned off', async () => {
    const traced = createServerTracing(ON)
    expect(traced).toBeDefined()
    await traced?.shutdown()
    expect(createServerTracing({})).toBeUndefined()
    expect(createServerTracing({ ...ON, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined()
    expect(createServerTracing({ ...ON, OTEL_SDK_DISABLED: 'true' })).toBeUndefined()
    expect(
      createServerTracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x/v1/traces' })
    ).toBeDefined()
  })

  it("gives the CLI the operator's endpoints, per signal, and only OTLP exporters", () => {
    const traced = createServerTracing({
      ...ON,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-team=ops',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'console',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
    })
    expect(traced?.cli).toMatchObject({
      traces: {
        url: 'http://127.0.0.1:4318/v1/traces',
        headers: { authorization: 'Bearer abc', 'x-team': 'ops' },
      },
      metrics: { url: 'http://127.0.0.1:4318/v1/metrics' },
      env: { OTEL_METRICS_EXPORTER: 'otlp', OTEL_METRIC_EXPORT_INTERVAL: '5000' },
      content: false,
    })
    // A console exporter would write into the CLI's stream-json output: never passed.
    expect(traced?.cli.logs).toBeUndefined()
    expect(traced?.cli.env.OTEL_LOGS_EXPORTER).toBeUndefined()
  })

  it('refuses what it cannot do, naming the variable', () => {
    expect(() => createServerTracing({ ...ON, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: grpc is not supported/
    )
    expect(() => createServerTracing({ ...ON, OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(
      ConfigError
    )
    expect(() =>
      createServerTracing({
        ...ON,
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
      })
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG/)
    expect(() =>
      createWorkerTracing({ ...ON, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })
    ).toThrow(/not supported at the edge/)
  })

  it('opts in to prompt and answer text only when asked', () => {
    expect(createServerTracing(ON)?.tracing.content).toBe(false)
    expect(
      createServerTracing({ ...ON, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' })
        ?.tracing.content
    ).toBe(true)
  })
})
