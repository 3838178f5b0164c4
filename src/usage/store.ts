/**
 * The seam for per-key usage: admitting a run within the key's limits (runs in flight, spend
 * today) and charging it afterwards, then reporting. Backends: memory (tests, embedding), SQLite
 * (the Node server, survives restarts), a Durable Object per key (the edge, shared by every
 * isolate).
 */
import { QuotaExceededError } from '../errors/index.js'
import type { RunCharge } from '../runner.js'
import type { DayUsage, KeyUsage, UsageTotals } from './schemas.js'

export type { DayUsage, KeyUsage, UsageTotals }

export type UsageKey = { id: string; name: string }

/** A key's limits (its policy's `max_concurrent` and `daily_usd`). */
export type RunLimits = { maxConcurrent?: number; dailyUsd?: number }

/** Gives the run's place back; calling it again does nothing. */
export type Release = () => Promise<void>

export type UsageStore = {
  /** Admits one run within the limits (the check and the place taken at once), else throws. */
  begin(key: UsageKey, limits: RunLimits): Promise<Release>
  record(key: UsageKey, charge: RunCharge): Promise<void>
  /** Every key's usage, with the days of the last `days` days that had runs. */
  report(days?: number): Promise<Record<string, KeyUsage>>
  close?(): void | Promise<void>
}

export const REPORT_DAYS = 30

export const utcDay = (now = new Date()) => now.toISOString().slice(0, 10)

/** The first UTC day of a period of `days` days ending today. */
export const firstDay = (days: number, now = new Date()) =>
  utcDay(new Date(now.getTime() - (days - 1) * 86_400_000))

/** Seconds until the next UTC midnight, when daily budgets reset. */
export const secondsToUtcMidnight = (now = new Date()) => {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000))
}

export const noUsage = (): UsageTotals => ({ runs: 0, input_tokens: 0, output_tokens: 0, usd: 0 })

/** One run's charge as totals to add. */
export const totalsOf = (charge: RunCharge): UsageTotals => ({
  runs: 1,
  input_tokens: charge.usage?.input_tokens ?? 0,
  output_tokens: charge.usage?.output_tokens ?? 0,
  usd: charge.costUsd,
})

export const addTotals = <T extends UsageTotals>(into: T, more: UsageTotals): T => {
  into.runs += more.runs
  into.input_tokens += more.input_tokens
  into.output_tokens += more.output_tokens
  into.usd += more.usd
  return into
}

/** The one place the limits are decided, whichever store holds the numbers. */
export const assertWithinLimits = (limits: RunLimits, active: number, spentToday: number) => {
  if (limits.maxConcurrent !== undefined && active >= limits.maxConcurrent) {
    throw new QuotaExceededError(
      `This key already has ${limits.maxConcurrent} run(s) in progress`,
      {
        retryAfter: 2,
      }
    )
  }
  if (limits.dailyUsd !== undefined && spentToday >= limits.dailyUsd) {
    throw new QuotaExceededError(
      `This key has spent its daily budget of $${limits.dailyUsd} (resets at 00:00 UTC)`,
      { retryAfter: secondsToUtcMidnight() }
    )
  }
}

/** A key's report from its days (any order) and its runs in flight. */
export const keyUsageOf = (
  name: string,
  active: number,
  days: readonly DayUsage[],
  total: UsageTotals,
  period = REPORT_DAYS
): KeyUsage => {
  const today = utcDay()
  const from = firstDay(period)
  const recent = days
    .filter((day) => day.date >= from && day.date <= today)
    .sort((a, b) => (a.date < b.date ? 1 : -1))
  const current = recent.find((day) => day.date === today)
  return {
    name,
    active,
    today: current ? { ...current } : { date: today, ...noUsage() },
    total,
    days: recent,
  }
}

/** Runs in flight per key, counted in this process: a place taken, and given back once. */
export const createInFlight = () => {
  const counts = new Map<string, number>()
  return {
    count: (id: string) => counts.get(id) ?? 0,
    ids: () => [...counts.keys()],
    take(id: string): Release {
      counts.set(id, (counts.get(id) ?? 0) + 1)
      let released = false
      return async () => {
        if (released) return
        released = true
        const left = (counts.get(id) ?? 1) - 1
        if (left === 0) counts.delete(id)
        else counts.set(id, left)
      }
    },
  }
}

/** A report keyed as /admin/usage shows it: the first 8 characters of each key hash. */
export const byShortId = (report: Record<string, KeyUsage>) =>
  Object.fromEntries(
    Object.entries(report).map(([id, usage]) => [id === 'anonymous' ? id : id.slice(0, 8), usage])
  )
