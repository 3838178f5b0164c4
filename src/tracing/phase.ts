/** A phase of a run (its wait for a slot, getting its process) as a span under the run's parent. */
import type { Attributes, Context, Span } from '@opentelemetry/api'
import { recordFailure, type Tracing } from './tracing.js'

export const PHASES = {
  /** Admission by the key's policy: its budget, its concurrency, its login's quota. */
  admission: 'claude_code_api.admission',
  /** A running slot, after a place in the fair queue when all were taken. */
  queue: 'claude_code_api.queue',
  /** The run's CLI process: a parked run's, a held conversation's, reused, warm, cold or resumed. */
  process: 'claude_code_api.process',
} as const

export type Phase = {
  span: Span
  done(attributes?: Attributes): void
  fail(error: unknown): void
}

export const startPhase = (
  tracing: Tracing,
  name: string,
  parent: Context,
  attributes?: Attributes
): Phase => {
  const span = tracing.tracer.startSpan(name, { attributes }, parent)
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    span.end()
  }
  return {
    span,
    done(more) {
      if (more) span.setAttributes(more)
      end()
    },
    fail(error) {
      if (ended) return
      recordFailure(span, error)
      end()
    },
  }
}
