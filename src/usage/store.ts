/**
 * The seam for per-key usage: admitting a run within the key's limits (runs in flight, spend
 * today) and charging it afterwards, then reporting. Backends: memory (tests, embedding), SQLite
 * (the Node server, survives restarts), a Durable Object per key (the edge, shared by every
 * isolate).
 */

import type { RunCharge } from '../contract/runner.js'
import type { DayUsage, KeyUsage, UsageTotals } from '../contract/usage.js'
import { QuotaExceededError } from '../errors/index.js'

export type { DayUsage, KeyUsage, UsageTotals }

export type UsageKey = { id: string; name: string }

/** A key's limits (its policy's `max_concurrent` and `daily_usd`). */
export type RunLimits = { maxConcurrent?: number; dailyUsd?: number }

/** Gives the run's place back; calling it again does nothing. */
export type Release = () => Promise<void>

/**
 * A run let in: its place, and for a key with a daily budget the USD reserved for it, which is
 * also the most the run may spend (the runner caps it there).
 */
export type Admission = {
  release: Release
  capUsd?: number
  /** Where the store is shared: what another front door takes this place over by (`adopt`). */
  handle?: string
}

export type UsageStore = {
  /**
   * Admits one run within the limits, counting what runs in flight have reserved (the check and
   * the place taken at once), else throws.
   */
  begin(key: UsageKey, limits: RunLimits): Promise<Admission>
  record(key: UsageKey, charge: RunCharge): Promise<void>
  /**
   * Takes over a place another front door admitted (its `handle`), for a run that goes on here
   * (a tool call's follow-up): released from here from now on. Undefined when it is gone.
   */
  adopt?(handle: string): Promise<Release | undefined>
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

export const noUsage = (): UsageTotals => ({
  runs: 0,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  usd: 0,
})

/** One run's charge as totals to add. */
export const totalsOf = (charge: RunCharge): UsageTotals => ({
  runs: 1,
  input_tokens: charge.usage?.input_tokens ?? 0,
  output_tokens: charge.usage?.output_tokens ?? 0,
  cache_read_tokens: charge.usage?.cache_read_input_tokens ?? 0,
  cache_write_tokens: charge.usage?.cache_creation_input_tokens ?? 0,
  usd: charge.costUsd,
})

export const addTotals = <T extends UsageTotals>(into: T, more: UsageTotals): T => {
  into.runs += more.runs
  into.input_tokens += more.input_tokens
  into.output_tokens += more.output_tokens
  into.cache_read_tokens += more.cache_read_tokens
  into.cache_write_tokens += more.cache_write_tokens
  into.usd += more.usd
  return into
}

/** Dollars as a person reads them: enough digits to tell small amounts apart. */
const usd = (amount: number) => Number(Math.max(0, amount).toPrecision(3)).toString()

/** The most one run of a key with a daily budget may spend (and has reserved for it). */
export const RUN_CAP_USD = 1
/** Runs at once for a key with a daily budget and no `max_concurrent` of its own. */
export const BUDGETED_MAX_CONCURRENT = 4

/** Days back the least first call of a key is looked for (prices and prompts change). */
export const FLOOR_DAYS = 7

/**
 * The one place the limits are decided, whichever store holds the numbers: the key's runs in
 * flight, its spend today, and what those runs have reserved. A run of a key with a budget
 * reserves what it may spend (what is left, at most `RUN_CAP_USD`) and is capped there, so a
 * burst cannot spend past the budget: a key exceeds it at most by what one run spends past its
 * cap before the CLI stops it. `leastCallUsd`: the cheapest first model call the store has seen
 * (the key's, else any key's): a run that could not pay even that is refused before it starts,
 * rather than billed for an answer the budget then throws away.
 */
export const admitWithinLimits = (
  limits: RunLimits,
  active: number,
  spentToday: number,
  reservedUsd = 0,
  leastCallUsd = 0
): { capUsd?: number } => {
  const maxConcurrent =
    limits.maxConcurrent ?? (limits.dailyUsd === undefined ? undefined : BUDGETED_MAX_CONCURRENT)
  if (maxConcurrent !== undefined && active >= maxConcurrent) {
    throw new QuotaExceededError(`This key already has ${maxConcurrent} run(s) in progress`, {
      retryAfter: 2,
    })
  }
  if (limits.dailyUsd === undefined) return {}
  if (spentToday >= limits.dailyUsd) {
    throw new QuotaExceededError(
      `This key has spent its daily budget of $${limits.dailyUsd} (resets at 00:00 UTC)`,
      { retryAfter: secondsToUtcMidnight() }
    )
  }
  const unspent = limits.dailyUsd - spentToday
  if (unspent < leastCallUsd) {
    throw new QuotaExceededError(
      `This key has $${usd(unspent)} left of its daily budget of $${limits.dailyUsd}, less than a run costs at the least ($${usd(leastCallUsd)}, the cheapest first model call seen); it resets at 00:00 UTC`,
      { retryAfter: secondsToUtcMidnight() }
    )
  }
  const left = unspent - reservedUsd
  if (left <= 0 || left < leastCallUsd) {
    throw new QuotaExceededError(
      `What is left of this key's daily budget of $${limits.dailyUsd} is held by its runs in progress`,
      { retryAfter: 2 }
    )
  }
  return { capUsd: Math.min(left, RUN_CAP_USD) }
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

/**
 * Runs in flight per key, counted in this process, with what they reserved: a place taken within
 * the limits (admitWithinLimits), and given back once.
 */
export const createInFlight = () => {
  const places = new Map<string, { count: number; reserved: number }>()
  const of = (id: string) => places.get(id) ?? { count: 0, reserved: 0 }
  return {
    count: (id: string) => of(id).count,
    ids: () => [...places.keys()],
    admit(id: string, limits: RunLimits, spentToday: number, leastCallUsd?: number): Admission {
      const current = of(id)
      const { capUsd } = admitWithinLimits(
        limits,
        current.count,
        spentToday,
        current.reserved,
        leastCallUsd
      )
      const reserve = capUsd ?? 0
      places.set(id, { count: current.count + 1, reserved: current.reserved + reserve })
      let released = false
      const release = async () => {
        if (released) return
        released = true
        const now = of(id)
        if (now.count <= 1) places.delete(id)
        else places.set(id, { count: now.count - 1, reserved: Math.max(0, now.reserved - reserve) })
      }
      return { release, ...(capUsd !== undefined && { capUsd }) }
    },
  }
}

/** A report keyed as /admin/usage shows it: the first 8 characters of each key hash. */
export const byShortId = (report: Record<string, KeyUsage>) =>
  Object.fromEntries(
    Object.entries(report).map(([id, usage]) => [id === 'anonymous' ? id : id.slice(0, 8), usage])
  )
