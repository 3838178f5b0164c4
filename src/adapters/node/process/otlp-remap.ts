/**
 * Re-parents what a CLI process exports (OTLP/JSON) onto the runs it served. A process reads
 * `TRACEPARENT` once, when it starts (claude-cli.md §5.13): every turn of a process started ahead,
 * or reused, would nest under that first parent. The server knows when the process served which
 * run, so each span and log record is moved by its start time to the run span of that moment.
 */

import { TraceFlags } from '@opentelemetry/api'
import { spanContextOf } from '../../../tracing/context.js'

/** A span context in OTLP/JSON's form (hex ids). */
export type SpanRef = { traceId: string; spanId: string; sampled: boolean }

/** A stretch of a process's life serving one run (`to` unset while it still does). */
export type Window = { from: number; to?: number; run: SpanRef | undefined }

type OtlpSpan = {
  traceId?: string
  spanId?: string
  parentSpanId?: string
  startTimeUnixNano?: string | number
}
type OtlpLog = {
  traceId?: string
  spanId?: string
  timeUnixNano?: string | number
  observedTimeUnixNano?: string | number
}
export type OtlpTraces = {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[]
}
export type OtlpLogs = {
  resourceLogs?: { scopeLogs?: { logRecords?: OtlpLog[] }[] }[]
}

const millis = (nanos: string | number | undefined) => {
  if (nanos === undefined) return undefined
  try {
    return Number(BigInt(nanos) / 1_000_000n)
  } catch {
    return undefined
  }
}

/** W3C `traceparent` → the ids OTLP/JSON writes. */
export const spanRefOf = (traceparent: string | undefined): SpanRef | undefined => {
  const context = traceparent ? spanContextOf({ traceparent }) : undefined
  return (
    context && {
      traceId: context.traceId,
      spanId: context.spanId,
      sampled: (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    }
  )
}

export const createRemap = (
  /** The parent the process was started with. */
  start: SpanRef,
  /** Whether that parent is a run's (a process started for a run) or a stand-in (started ahead). */
  startIsRun: boolean,
  windows: readonly Window[]
) => {
  /** The run being served at `ms`; `null`: none, and the record stays off every run's trace. */
  const runAt = (ms: number | undefined): SpanRef | null => {
    if (ms !== undefined) {
      for (let i = windows.length - 1; i >= 0; i--) {
        const window = windows[i] as Window
        if (window.from <= ms && (window.to === undefined || ms <= window.to)) {
          return window.run?.sampled ? window.run : null
        }
      }
    }
    return startIsRun ? start : null
  }

  return {
    traces(body: OtlpTraces): OtlpTraces {
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          scope.spans = (scope.spans ?? []).filter((span) => {
            if (span.traceId !== start.traceId) return true
            const run = runAt(millis(span.startTimeUnixNano))
            if (!run) return false
            span.traceId = run.traceId
            if (span.parentSpanId === start.spanId) span.parentSpanId = run.spanId
            return true
          })
        }
      }
      return body
    },
    logs(body: OtlpLogs): OtlpLogs {
      for (const resource of body.resourceLogs ?? []) {
        for (const scope of resource.scopeLogs ?? []) {
          for (const record of scope.logRecords ?? []) {
            if (record.traceId !== start.traceId) continue
            const run = runAt(millis(record.timeUnixNano ?? record.observedTimeUnixNano))
            // A process's own record (its start, its settings) stays, on no trace.
            if (!run) {
              delete record.traceId
              delete record.spanId
              continue
            }
            record.traceId = run.traceId
            if (record.spanId === start.spanId) record.spanId = run.spanId
          }
        }
      }
      return body
    },
  }
}
