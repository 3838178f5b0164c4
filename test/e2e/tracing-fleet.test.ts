/**
 * Tracing across the fleet, and tracing off. A Node front door passes the request's context to
 * its runner host over the runner protocol: one trace shows front door → host → CLI, each part
 * exported by its own process. With tracing unset nothing is exported, by the server or the CLI.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv, removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { type OtlpReceiver, startOtlpReceiver } from '../../dev-tools/otlp-receiver/server.js'
import { type RunningServer, startRunnerHost, startServer } from '../../src/runtime/node/entry.js'
import { createServerTracing } from '../../src/runtime/node/tracing.js'
import { clientSpan } from '../helpers/client-span.js'
import { startTestStack } from '../helpers/test-stack.js'

let receiver: OtlpReceiver
let mock: MockAnthropic
let home: string
let host: RunningServer
let front: RunningServer

const otel = (service: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: '20',
})

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  mock = await startMockAnthropic()
  home = await tempDir('tracing-fleet')
  host = await startRunnerHost({
    port: 0,
    logLevel: 'silent',
    workDir: join(home, 'host'),
    warmProcesses: 0,
    runnerOptions: { env: cliEnv(home, mock.url), killGraceMs: 1_000 },
    otelEnv: otel('cca-host'),
  })
  front = await startServer({
    port: 0,
    logLevel: 'silent',
    workDir: join(home, 'front'),
    keysFile: join(home, 'api-keys'),
    runnerUrls: [host.url],
    otelEnv: otel('cca-front'),
  })
}, 60_000)
afterAll(async () => {
  await front?.close()
  await host?.close()
  await mock?.close()
  await receiver?.close()
  await removeDir(home)
})

describe('through a Node front door', () => {
  it("puts the host's spans and the CLI's in the front door's trace", async () => {
    const client = clientSpan()
    const response = await fetch(`${front.url}/llm/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: client.traceparent },
      body: JSON.stringify({ prompt: 'across the fleet' }),
    })
    expect((await response.json()).text).toBe('ECHO: across the fleet')
    const spans = await receiver.traceWith(
      client.traceId,
      'claude_code.interaction',
      'POST /llm/chat',
      'POST /runner/v1/runs',
      'invoke_agent claude-code'
    )
    const frontRequest = spans.find((s) => s.name === 'POST /llm/chat')
    expect(frontRequest?.parentSpanId).toBe(client.spanId)
    expect(frontRequest?.resource['service.name']).toBe('cca-front')
    expect(frontRequest?.encoding).toBe('json')
    const admission = spans.find((s) => s.name === 'claude_code_api.admission')
    expect(admission?.resource['service.name']).toBe('cca-front')
    const hostRequest = spans.find((s) => s.name === 'POST /runner/v1/runs')
    expect(hostRequest?.resource['service.name']).toBe('cca-host')
    expect(hostRequest?.parentSpanId).toBe(frontRequest?.spanId)
    const run = spans.find((s) => s.name === 'invoke_agent claude-code')
    expect(run?.resource['service.name']).toBe('cca-host')
    expect(run?.parentSpanId).toBe(hostRequest?.spanId)
    const interaction = spans.find((s) => s.name === 'claude_code.interaction')
    expect(interaction?.parentSpanId).toBe(run?.spanId)
  })
})

describe('tracing unset', () => {
  it('is off: no tracer is built', () => {
    expect(createServerTracing({})).toBeUndefined()
    expect(
      createServerTracing({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })
    ).toBeUndefined()
    expect(
      createServerTracing({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
        OTEL_SDK_DISABLED: 'true',
      })
    ).toBeUndefined()
  })

  it('exports nothing, from the server or the CLI, though the client sent a traceparent', async () => {
    const before = receiver.requests.length
    // The operator's endpoint is there, but traces are off: nothing may reach it.
    const stack = await startTestStack({
      warmProcesses: 0,
      otelEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none' },
    })
    try {
      const client = clientSpan()
      const response = await stack.post(
        '/llm/chat',
        { prompt: 'untraced' },
        {
          headers: { 'content-type': 'application/json', traceparent: client.traceparent },
        }
      )
      expect((await response.json()).text).toBe('ECHO: untraced')
      // The CLI had no telemetry: its model call carries no trace.
      expect(stack.mock.messageRequests().at(-1)?.headers.traceparent).toBeUndefined()
    } finally {
      // Closing flushes whatever a tracer would have batched.
      await stack.close()
    }
    expect(receiver.requests.slice(before)).toEqual([])
  })
})
