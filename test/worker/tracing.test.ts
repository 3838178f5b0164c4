/**
 * Tracing at the edge, in the real workerd runtime: the front door's own spans go out over
 * `fetch` within the request's `waitUntil`, and the runner host (in Node, tracing too) puts its
 * spans, and the CLI's, in the same trace: client → edge → host → CLI.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, inject, it } from 'vitest'
import worker, { type WorkerEnv } from '../../src/runtime/worker/entry.js'
import { json } from './helpers.js'

const KEY = 'cca_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e'

type Span = {
  name: string
  traceId: string
  spanId: string
  parentSpanId: string
  resource: Record<string, unknown>
  encoding: string
}

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')

/** The trace's spans once every name is there (the receiver answers when they are). */
const spansOf = async (traceId: string, names: string[]) => {
  const query = new URLSearchParams([['trace', traceId], ...names.map((n) => ['name', n])])
  const response = await fetch(`${inject('otlpUrl')}/spans?${query}`)
  return (await response.json()) as Span[]
}

const send = async (bindings: Partial<WorkerEnv>, traceparent: string) => {
  const ctx = createExecutionContext()
  const response = await worker.fetch(
    new Request('http://edge/llm/chat', {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${KEY}`, traceparent },
      body: JSON.stringify({ prompt: 'from the edge' }),
    }),
    { ...(env as WorkerEnv), ...bindings },
    ctx
  )
  expect(await response.json()).toMatchObject({ text: 'ECHO: from the edge' })
  // What the request left to do after its response: sending its spans.
  await waitOnExecutionContext(ctx)
}

describe('tracing at the edge', () => {
  it('is one trace: the client span, the edge, the runner host and the CLI', async () => {
    const traceId = hex(16)
    const clientSpanId = hex(8)
    await send(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: inject('otlpUrl'),
        OTEL_SERVICE_NAME: 'cca-edge',
      },
      `00-${traceId}-${clientSpanId}-01`
    )
    const spans = await spansOf(traceId, [
      'POST /llm/chat',
      'claude_code_api.admission',
      'POST /runner/v1/runs',
      'invoke_agent claude-code',
      'claude_code.interaction',
    ])
    const named = (name: string) => spans.find((s) => s.name === name)
    const edge = named('POST /llm/chat')
    expect(edge?.resource['service.name']).toBe('cca-edge')
    expect(edge?.parentSpanId).toBe(clientSpanId)
    expect(edge?.encoding).toBe('json')
    expect(named('claude_code_api.admission')?.parentSpanId).toBe(edge?.spanId)
    const host = named('POST /runner/v1/runs')
    expect(host?.resource['service.name']).toBe('cca-host')
    expect(host?.parentSpanId).toBe(edge?.spanId)
    const run = named('invoke_agent claude-code')
    expect(run?.parentSpanId).toBe(host?.spanId)
    expect(named('claude_code.interaction')?.parentSpanId).toBe(run?.spanId)
  })

  it("without tracing bindings, still passes the client's context on to the host", async () => {
    const traceId = hex(16)
    const clientSpanId = hex(8)
    await send({}, `00-${traceId}-${clientSpanId}-01`)
    const spans = await spansOf(traceId, ['POST /runner/v1/runs', 'invoke_agent claude-code'])
    // The edge made no span: the host's request is the client span's child.
    expect(spans.find((s) => s.name === 'POST /llm/chat')).toBeUndefined()
    expect(spans.find((s) => s.name === 'POST /runner/v1/runs')?.parentSpanId).toBe(clientSpanId)
  })
})
