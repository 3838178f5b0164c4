/**
 * OpenTelemetry end to end: the real server and the real CLI, exporting to a real OTLP/HTTP
 * receiver on loopback. A request sent with a `traceparent` makes one trace under the client's
 * span: the request, admission, queue, process and run spans (GenAI attributes, tokens, cost),
 * and under the run the CLI's own spans, whichever process served it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../dev-tools/cli-env.js'
import { type OtlpReceiver, startOtlpReceiver } from '../../dev-tools/otlp-receiver/server.js'
import { captureLogger } from '../helpers/capture-logger.js'
import { clientSpan } from '../helpers/client-span.js'
import { question, tools } from '../helpers/openai-tools.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { weatherModel } from '../helpers/tool-mock.js'

const chat = (stack: TestStack, traceparent: string, content: string) =>
  stack.post(
    '/v1/chat/completions',
    { model: 'haiku', messages: [{ role: 'user', content }] },
    { headers: { 'content-type': 'application/json', traceparent } }
  )

let receiver: OtlpReceiver
let stack: TestStack
const log = captureLogger()

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  stack = await startTestStack({
    logger: log.logger,
    // Cold starts: the CLI's TRACEPARENT is the run's own span.
    warmProcesses: 0,
    allowedTools: ['Bash'],
    otelEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'cca-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'otlp',
    },
  })
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await receiver?.close()
})

describe('a traced request', () => {
  it('is one trace under the client span: request, admission, queue, process, run, and the CLI', async () => {
    const client = clientSpan()
    const response = await chat(stack, client.traceparent, 'trace me')
    expect(response.status).toBe(200)
    expect((await response.json()).choices[0].message.content).toBe('ECHO: trace me')

    const spans = await receiver.traceWith(
      client.traceId,
      'claude_code.llm_request',
      'POST /v1/chat/completions'
    )
    const named = (name: string) => {
      const span = spans.find((s) => s.name === name)
      expect(span, name).toBeDefined()
      return span as (typeof spans)[number]
    }
    const request = named('POST /v1/chat/completions')
    expect(request.parentSpanId).toBe(client.spanId)
    expect(request.kind).toBe(2) // SERVER
    expect(request.resource['service.name']).toBe('cca-under-test')
    expect(request.encoding).toBe('protobuf')
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/chat/completions',
      'http.response.status_code': 200,
    })
    for (const phase of [
      'claude_code_api.admission',
      'claude_code_api.queue',
      'invoke_agent claude-code',
    ]) {
      expect(named(phase).parentSpanId, phase).toBe(request.spanId)
    }
    const run = named('invoke_agent claude-code')
    // Getting its process is the run's first part.
    const process = named('claude_code_api.process')
    expect(process.parentSpanId).toBe(run.spanId)
    expect(process.attributes['claude_code_api.process.origin']).toBe('cold')
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'haiku',
      'gen_ai.response.finish_reasons': ['end_turn'],
    })
    expect(run.attributes['gen_ai.response.model']).toMatch(/^claude-/)
    expect(run.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
    expect(run.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
    expect(run.attributes).toHaveProperty('gen_ai.usage.cache_read.input_tokens')
    expect(run.attributes).toHaveProperty('gen_ai.usage.cache_creation.input_tokens')
    expect(run.attributes['claude_code_api.cost_usd']).toBeGreaterThan(0)
    expect(run.attributes['claude_code_api.time_to_first_token_ms']).toBeGreaterThanOrEqual(0)
    expect(run.attributes['gen_ai.conversation.id']).toMatch(/^[\da-f-]{36}$/)
    // Prompt and answer text stay out unless the operator opts in.
    expect(JSON.stringify(spans)).not.toContain('trace me')

    // The CLI's own spans, exported by the CLI itself, nest under the run.
    const interaction = named('claude_code.interaction')
    expect(interaction.parentSpanId).toBe(run.spanId)
    expect(interaction.encoding).toBe('json')
    expect(interaction.attributes['parent.source']).toBe('env')
    const llm = named('claude_code.llm_request')
    expect(llm.parentSpanId).toBe(interaction.spanId)
    // Its model call carried the trace on: the CLI's TRACEPARENT was the run's span.
    const call = stack.mock.messageRequests().at(-1)
    expect(call?.headers.traceparent).toBe(`00-${client.traceId}-${llm.spanId}-01`)

    // Its logs carry the trace too; metrics arrive as the operator asked.
    await receiver.until(() => receiver.logs.some((l) => l.traceId === client.traceId))
    // The request's log line names its trace and span.
    const line = log.lines.find((l) => l.message === 'request' && l.trace_id === client.traceId)
    expect(line?.span_id).toBe(request.spanId)
  })

  it("nests a sandboxed run's CLI spans too (its exports leave the sandbox by its proxy)", async () => {
    const client = clientSpan()
    const response = await stack.post(
      '/llm/chat',
      { prompt: 'in the sandbox', allowed_tools: ['Bash'] },
      { headers: { 'content-type': 'application/json', traceparent: client.traceparent } }
    )
    expect((await response.json()).text).toBe('ECHO: in the sandbox')
    const spans = await receiver.traceWith(
      client.traceId,
      'claude_code.interaction',
      'invoke_agent claude-code'
    )
    const run = spans.find((s) => s.name === 'invoke_agent claude-code')
    expect(spans.find((s) => s.name === 'claude_code.interaction')?.parentSpanId).toBe(run?.spanId)
  })

  it('shows a tool round trip: the call on the first run, the result on the one that goes on', async () => {
    stack.mock.setHandler(weatherModel)
    const first = clientSpan()
    const second = clientSpan()
    try {
      const asked = await stack.post(
        '/v1/chat/completions',
        { model: 'haiku', messages: [question], tools },
        { headers: { 'content-type': 'application/json', traceparent: first.traceparent } }
      )
      const message = (await asked.json()).choices[0].message
      const call = message.tool_calls[0]
      expect(call.function.name).toBe('get_weather')
      const answered = await stack.post(
        '/v1/chat/completions',
        {
          model: 'haiku',
          messages: [question, message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
          tools,
        },
        { headers: { 'content-type': 'application/json', traceparent: second.traceparent } }
      )
      expect((await answered.json()).choices[0].message.content).toBe('Weather: sunny')
    } finally {
      stack.mock.reset()
    }
    const calling = await receiver.traceWith(
      first.traceId,
      'invoke_agent claude-code',
      'claude_code.interaction'
    )
    const run = calling.find((s) => s.name === 'invoke_agent claude-code')
    expect(run?.events.find((e) => e.name === 'gen_ai.tool.call')?.attributes).toMatchObject({
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.call.id': expect.any(String),
      'claude_code_api.tool.client': true,
    })
    expect(run?.attributes['gen_ai.response.finish_reasons']).toEqual(['tool_use'])
    // The CLI's turn, begun in the first request, keeps to its trace: both model calls.
    const interaction = calling.find((s) => s.name === 'claude_code.interaction')
    expect(interaction?.parentSpanId).toBe(run?.spanId)
    const calls = await receiver.until(() => {
      const found = receiver
        .trace(first.traceId)
        .filter((s) => s.name === 'claude_code.llm_request')
      return found.length === 2 && found
    })
    for (const llm of calls) expect(llm.parentSpanId).toBe(interaction?.spanId)
    const going = await receiver.traceWith(
      second.traceId,
      'invoke_agent claude-code',
      'claude_code_api.process'
    )
    const resumed = going.find((s) => s.name === 'invoke_agent claude-code')
    expect(resumed?.attributes['claude_code_api.tool_results']).toBe(1)
    expect(resumed?.attributes['gen_ai.response.finish_reasons']).toEqual(['end_turn'])
    expect(
      going.find((s) => s.name === 'claude_code_api.process')?.attributes[
        'claude_code_api.process.origin'
      ]
    ).toBe('parked')
  })

  it('marks a failed run, and the dashboard shows its trace id', async () => {
    stack.mock.setHandler(() => ({ kind: 'error', status: 400, message: 'refused upstream' }))
    const client = clientSpan()
    try {
      const response = await chat(stack, client.traceparent, 'fail me')
      expect(response.status).toBeGreaterThanOrEqual(400)
    } finally {
      stack.mock.reset()
    }
    const spans = await receiver.traceWith(
      client.traceId,
      'invoke_agent claude-code',
      'POST /v1/chat/completions'
    )
    const run = spans.find((s) => s.name === 'invoke_agent claude-code')
    expect(run?.status.code).toBe(2) // ERROR
    expect(run?.attributes['error.type']).toEqual(expect.any(String))
    const request = spans.find((s) => s.name === 'POST /v1/chat/completions')
    expect(request?.attributes['error.type']).toBe(run?.attributes['error.type'])
    const admin = await fetch(`${stack.url}/admin/status`)
    const latest = (await admin.json()).errors.latest
    expect(latest[0]).toMatchObject({ trace_id: client.traceId })
  })
})

describe('processes started ahead and reused', () => {
  let warm: TestStack
  beforeAll(async () => {
    warm = await startTestStack({
      warmProcesses: 1,
      otelEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '20',
        // This operator opts in to prompt and answer text.
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      },
    })
  }, 60_000)
  afterAll(() => warm?.close())

  it("put what the CLI exports under each run's span, though it started before the run", async () => {
    const ready = () =>
      waitFor(
        async () => (await (await fetch(`${warm.url}/llm/status`)).json()).processes.warm >= 1
      )
    const send = async (traceparent: string, prompt: string) => {
      await ready()
      const response = await warm.post(
        '/llm/chat',
        { prompt },
        {
          headers: { 'content-type': 'application/json', traceparent },
        }
      )
      expect(response.status).toBe(200)
    }
    const first = clientSpan()
    const second = clientSpan()
    await send(first.traceparent, 'one')
    await send(second.traceparent, 'two')
    const origins: unknown[] = []
    for (const [client, prompt] of [
      [first, 'one'],
      [second, 'two'],
    ] as const) {
      const spans = await receiver.traceWith(
        client.traceId,
        'claude_code.llm_request',
        'invoke_agent claude-code'
      )
      origins.push(
        spans.find((s) => s.name === 'claude_code_api.process')?.attributes[
          'claude_code_api.process.origin'
        ]
      )
      const run = spans.find((s) => s.name === 'invoke_agent claude-code')
      const interaction = spans.find((s) => s.name === 'claude_code.interaction')
      expect(interaction?.parentSpanId).toBe(run?.spanId)
      const llm = spans.find((s) => s.name === 'claude_code.llm_request')
      expect(llm?.parentSpanId).toBe(interaction?.spanId)
      // Opted in: the text is there, the server's and the CLI's.
      expect(run?.attributes['gen_ai.input.messages']).toContain(prompt)
      expect(run?.attributes['gen_ai.output.messages']).toContain(`ECHO: ${prompt}`)
      expect(interaction?.attributes.user_prompt).toBe(prompt)
    }
    // Neither started for its run: the CLI's TRACEPARENT was another's, re-parented on export.
    expect(origins[0]).toBe('warm')
    expect(['warm', 'reused']).toContain(origins[1])
  })
})
