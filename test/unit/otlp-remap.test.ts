import { describe, expect, it } from 'vitest'
import {
  createRemap,
  type OtlpTraces,
  spanRefOf,
  type Window,
} from '../../src/adapters/node/process/otlp-remap.js'

const START = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), sampled: true }
const RUN1 = { traceId: '1'.repeat(32), spanId: 'c'.repeat(16), sampled: true }
const RUN2 = { traceId: '2'.repeat(32), spanId: 'd'.repeat(16), sampled: true }
const ms = (n: number) => String(BigInt(n) * 1_000_000n)

const traces = (spans: Array<Record<string, string>>) => ({
  resourceSpans: [{ scopeSpans: [{ spans }] }],
})
const spansOf = (body: OtlpTraces) => body.resourceSpans?.[0]?.scopeSpans?.[0]?.spans ?? []

describe('re-parenting what a CLI process exports', () => {
  const windows: Window[] = [
    { from: 1_000, to: 2_000, run: RUN1 },
    { from: 3_000, run: RUN2 },
  ]

  it("moves each turn's spans under the run the process served when it began", () => {
    const remap = createRemap(START, false, windows)
    const out = spansOf(
      remap.traces(
        traces([
          {
            traceId: START.traceId,
            spanId: 'e1',
            parentSpanId: START.spanId,
            startTimeUnixNano: ms(1_500),
          },
          {
            traceId: START.traceId,
            spanId: 'e2',
            parentSpanId: 'e1',
            startTimeUnixNano: ms(1_600),
          },
          {
            traceId: START.traceId,
            spanId: 'e3',
            parentSpanId: START.spanId,
            startTimeUnixNano: ms(3_500),
          },
        ])
      )
    )
    expect(out).toEqual([
      {
        traceId: RUN1.traceId,
        spanId: 'e1',
        parentSpanId: RUN1.spanId,
        startTimeUnixNano: ms(1_500),
      },
      { traceId: RUN1.traceId, spanId: 'e2', parentSpanId: 'e1', startTimeUnixNano: ms(1_600) },
      {
        traceId: RUN2.traceId,
        spanId: 'e3',
        parentSpanId: RUN2.spanId,
        startTimeUnixNano: ms(3_500),
      },
    ])
  })

  it("drops spans of no run when the parent was a stand-in, keeps them under the first run's", () => {
    const between = traces([
      {
        traceId: START.traceId,
        spanId: 'x',
        parentSpanId: START.spanId,
        startTimeUnixNano: ms(2_500),
      },
    ])
    expect(spansOf(createRemap(START, false, windows).traces(structuredClone(between)))).toEqual([])
    expect(
      spansOf(createRemap(START, true, windows).traces(structuredClone(between)))[0]
    ).toMatchObject({ traceId: START.traceId, parentSpanId: START.spanId })
  })

  it('drops the spans of a run the sampler dropped, and leaves other traces alone', () => {
    const unsampled: Window[] = [{ from: 0, run: { ...RUN1, sampled: false } }]
    const body = traces([
      { traceId: START.traceId, spanId: 'x', parentSpanId: START.spanId, startTimeUnixNano: ms(5) },
      { traceId: 'f'.repeat(32), spanId: 'y', parentSpanId: '', startTimeUnixNano: ms(5) },
    ])
    expect(spansOf(createRemap(START, false, unsampled).traces(body)).map((s) => s.spanId)).toEqual(
      ['y']
    )
  })

  it("moves log records by their time, and takes a process's own off every trace", () => {
    const body = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                { traceId: START.traceId, spanId: START.spanId, timeUnixNano: ms(500) },
                { traceId: START.traceId, spanId: 'e1', timeUnixNano: ms(1_200) },
              ],
            },
          ],
        },
      ],
    }
    const records = createRemap(START, false, windows).logs(body).resourceLogs?.[0]?.scopeLogs?.[0]
      ?.logRecords
    expect(records).toEqual([
      { timeUnixNano: ms(500) },
      { traceId: RUN1.traceId, spanId: 'e1', timeUnixNano: ms(1_200) },
    ])
  })

  it('reads a traceparent, and nothing else', () => {
    expect(spanRefOf(`00-${RUN1.traceId}-${RUN1.spanId}-01`)).toEqual(RUN1)
    expect(spanRefOf(`00-${RUN1.traceId}-${RUN1.spanId}-00`)?.sampled).toBe(false)
    expect(spanRefOf('garbage')).toBeUndefined()
    expect(spanRefOf(undefined)).toBeUndefined()
  })
})
