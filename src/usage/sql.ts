/**
 * The SQL both SQLite-backed usage stores share (the Node server's file, the edge's Durable
 * Objects): a day's totals as columns, and how a run's charge is added to a day's row. A new
 * column is added here, and to each store's migrations.
 */
import type { UsageTotals } from '../contract/usage.js'

/** UsageTotals as columns, by the same names. */
export const TOTAL_COLUMNS = [
  'runs',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'usd',
] as const satisfies ReadonlyArray<keyof UsageTotals>

/** The columns a charge is inserted with, after the row's own key columns. */
export const CHARGE_COLUMNS = `name, ${TOTAL_COLUMNS.join(', ')}, least_call_usd`

/** `ON CONFLICT … DO UPDATE SET` for a charge: totals added, the least first call kept. */
export const ADD_CHARGE = `name = excluded.name,
  ${TOTAL_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(',\n  ')},
  least_call_usd = MIN(COALESCE(least_call_usd, excluded.least_call_usd),
                       COALESCE(excluded.least_call_usd, least_call_usd))`

/** Sums of each total, as its own name (0 with no rows). */
export const SUM_TOTALS = TOTAL_COLUMNS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(', ')

/** A row's totals, without its other columns. */
export const totalsIn = (row: Record<(typeof TOTAL_COLUMNS)[number], number>): UsageTotals =>
  Object.fromEntries(TOTAL_COLUMNS.map((c) => [c, row[c]])) as UsageTotals
