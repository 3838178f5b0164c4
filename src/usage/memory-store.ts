/** Usage in process memory: for tests and embedding; gone when the process ends. */
import type { DayUsage, UsageTotals } from '../contract/usage.js'
import {
  addTotals,
  createInFlight,
  FLOOR_DAYS,
  firstDay,
  keyUsageOf,
  noUsage,
  REPORT_DAYS,
  totalsOf,
  type UsageStore,
  utcDay,
} from './store.js'

type Entry = {
  name: string
  days: Map<string, DayUsage>
  total: UsageTotals
  /** The cheapest first model call of each day that had one. */
  leastCalls: Map<string, number>
}

/** Days kept in memory; totals keep everything. */
const KEPT_DAYS = 400

export const createMemoryUsageStore = (): UsageStore => {
  const keys = new Map<string, Entry>()
  const inFlight = createInFlight()
  const entry = (id: string, name: string) => {
    let current = keys.get(id)
    if (!current) {
      current = { name, days: new Map(), total: noUsage(), leastCalls: new Map() }
      keys.set(id, current)
    }
    current.name = name
    return current
  }

  /** The least first call since `FLOOR_DAYS` ago: the key's own, else any key's. */
  const leastCall = (id: string) => {
    const since = firstDay(FLOOR_DAYS)
    const least = (entries: Entry[]) => {
      const found = entries.flatMap((e) =>
        [...e.leastCalls].flatMap(([date, usd]) => (date >= since ? [usd] : []))
      )
      return found.length > 0 ? Math.min(...found) : undefined
    }
    const own = keys.get(id)
    return (own && least([own])) ?? least([...keys.values()])
  }

  return {
    async begin({ id, name }, limits) {
      const current = entry(id, name)
      const floor = limits.dailyUsd === undefined ? undefined : leastCall(id)
      return inFlight.admit(id, limits, current.days.get(utcDay())?.usd ?? 0, floor)
    },
    async record({ id, name }, charge) {
      const current = entry(id, name)
      const date = utcDay()
      const day = current.days.get(date) ?? { date, ...noUsage() }
      current.days.set(date, addTotals(day, totalsOf(charge)))
      addTotals(current.total, totalsOf(charge))
      if (charge.firstCallUsd !== undefined) {
        const least = current.leastCalls.get(date)
        current.leastCalls.set(date, Math.min(least ?? charge.firstCallUsd, charge.firstCallUsd))
      }
      const oldest = firstDay(KEPT_DAYS)
      for (const date of current.days.keys()) if (date < oldest) current.days.delete(date)
      for (const date of current.leastCalls.keys())
        if (date < firstDay(FLOOR_DAYS)) current.leastCalls.delete(date)
    },
    async report(days = REPORT_DAYS) {
      return Object.fromEntries(
        [...keys].map(([id, e]) => [
          id,
          keyUsageOf(e.name, inFlight.count(id), [...e.days.values()], { ...e.total }, days),
        ])
      )
    },
  }
}
