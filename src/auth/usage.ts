/**
 * Per-key usage, in memory: runs, tokens and USD, today (UTC) and since the server started,
 * plus the runs in flight. Enough to enforce per-key limits and to show an operator.
 */
import type { RunCharge } from '../runner.js'

export type KeyUsage = {
  name: string
  active: number
  today: { date: string; runs: number; input_tokens: number; output_tokens: number; usd: number }
  total: { runs: number; input_tokens: number; output_tokens: number; usd: number }
}

export type UsageTracker = {
  start(id: string, name: string): () => void
  record(id: string, name: string, charge: RunCharge): void
  get(id: string): KeyUsage | undefined
  spentToday(id: string): number
  active(id: string): number
  snapshot(): Record<string, KeyUsage>
}

export const utcDay = (now = new Date()) => now.toISOString().slice(0, 10)

/** Seconds until the next UTC midnight, when daily budgets reset. */
export const secondsToUtcMidnight = (now = new Date()) => {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000))
}

export const createUsageTracker = (): UsageTracker => {
  const usage = new Map<string, KeyUsage>()

  const entry = (id: string, name: string) => {
    let current = usage.get(id)
    if (!current) {
      current = {
        name,
        active: 0,
        today: { date: utcDay(), runs: 0, input_tokens: 0, output_tokens: 0, usd: 0 },
        total: { runs: 0, input_tokens: 0, output_tokens: 0, usd: 0 },
      }
      usage.set(id, current)
    }
    current.name = name
    if (current.today.date !== utcDay()) {
      current.today = { date: utcDay(), runs: 0, input_tokens: 0, output_tokens: 0, usd: 0 }
    }
    return current
  }

  return {
    start(id, name) {
      const current = entry(id, name)
      current.active++
      let done = false
      return () => {
        if (done) return
        done = true
        current.active--
      }
    },
    record(id, name, charge) {
      const current = entry(id, name)
      for (const bucket of [current.today, current.total]) {
        bucket.runs++
        bucket.input_tokens += charge.usage?.input_tokens ?? 0
        bucket.output_tokens += charge.usage?.output_tokens ?? 0
        bucket.usd += charge.costUsd
      }
    },
    get: (id) => usage.get(id),
    spentToday: (id) => {
      const current = usage.get(id)
      return current && current.today.date === utcDay() ? current.today.usd : 0
    },
    active: (id) => usage.get(id)?.active ?? 0,
    snapshot: () => Object.fromEntries(usage),
  }
}
