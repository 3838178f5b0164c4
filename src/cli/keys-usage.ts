import { defaultWorkDir } from '../adapters/node/settings.js'
import type { KeyUsage } from '../contract/usage.js'
import { errorFromResponse } from '../http/error-body.js'
import { usageDbIn } from '../runtime/node/config.js'
import { openSqliteUsageReader } from '../runtime/node/usage.js'
import { byShortId } from '../usage/store.js'
import { printTable } from './table.js'

export type UsageOptions = {
  usageDb?: string
  days: number
  url?: string
  key?: string
  json: boolean
}

const usd = (value: number) => `$${value.toFixed(value > 0 && value < 0.01 ? 6 : 4)}`

const fromServer = async (url: string, key: string | undefined, days: number) => {
  const response = await fetch(`${url.replace(/\/+$/, '')}/admin/usage?days=${days}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  })
  if (!response.ok) throw await errorFromResponse(response)
  return ((await response.json()) as { keys: Record<string, KeyUsage> }).keys
}

const fromFile = async (path: string, days: number) => {
  const reader = openSqliteUsageReader(path)
  if (!reader) return undefined
  try {
    return byShortId(await reader.report(days))
  } finally {
    reader.close?.()
  }
}

export const usageCommand = async (options: UsageOptions, env: NodeJS.ProcessEnv) => {
  const path = options.usageDb ?? env.USAGE_DB ?? usageDbIn(env.CLAUDE_WORK_DIR || defaultWorkDir())
  const keys = options.url
    ? await fromServer(options.url, options.key, options.days)
    : await fromFile(path, options.days)
  if (options.json) {
    console.log(JSON.stringify({ days: options.days, keys: keys ?? {} }, null, 2))
    return
  }
  if (!keys || Object.keys(keys).length === 0) {
    console.log(keys ? 'No usage recorded yet' : `No usage recorded yet (no database at ${path})`)
    return
  }
  const entries = Object.entries(keys).sort(([, a], [, b]) => b.total.usd - a.total.usd)
  printTable(
    ['KEY', 'NAME', 'RUNS TODAY', 'USD TODAY', 'RUNS', 'USD', 'IN FLIGHT'],
    entries.map(([id, u]) => [
      id,
      u.name,
      String(u.today.runs),
      usd(u.today.usd),
      String(u.total.runs),
      usd(u.total.usd),
      options.url ? String(u.active) : '-',
    ]),
    [2, 3, 4, 5, 6]
  )
  console.log(`\nPer day, last ${options.days} days (UTC):`)
  printTable(
    ['KEY', 'DAY', 'RUNS', 'INPUT', 'OUTPUT', 'USD'],
    entries.flatMap(([id, u]) =>
      u.days.map((day) => [
        id,
        day.date,
        String(day.runs),
        String(day.input_tokens),
        String(day.output_tokens),
        usd(day.usd),
      ])
    ),
    [2, 3, 4, 5]
  )
  if (!options.url) console.log('\nRuns in flight are known to the running server only (--url).')
}
