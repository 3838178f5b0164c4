/** Usage in process memory: for tests and embedding; gone when the process ends. */
import type { DayUsage, UsageTotals } from '../contract/usage.js'
import {
  addTotals,
  createInFlight,
  firstDay,
  keyUsageOf,
  noUsage,
  REPORT_DAYS,
  totalsOf,
  type UsageStore,
  utcDay,
} from './store.js'

type Entry = { name: string; days: Map<string, DayUsage>; total: UsageTotals }

/** Days kept in memory; totals keep everything. */
const KEPT_DAYS = 400

export const createMemoryUsageStore = (): UsageStore => {
  const keys = new Map<string, Entry>()
  const inFlight = createInFlight()
  const entry = (id: string, name: string) => {
    let current = keys.get(id)
    if (!current) {
      current = { name, days: new Map(), total: noUsage() }
      keys.set(id, current)
    }
    current.name = name
    return current
  }

  return {
    async begin({ id, name }, limits) {
      const current = entry(id, name)
      return inFlight.admit(id, limits, current.days.get(utcDay())?.usd ?? 0)
    },
    async record({ id, name }, charge) {
      const current = entry(id, name)
      const date = utcDay()
      const day = current.days.get(date) ?? { date, ...noUsage() }
      current.days.set(date, addTotals(day, totalsOf(charge)))
      addTotals(current.total, totalsOf(charge))
      const oldest = firstDay(KEPT_DAYS)
      for (const date of current.days.keys()) if (date < oldest) current.days.delete(date)
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
