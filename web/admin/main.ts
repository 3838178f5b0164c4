/**
 * The operator's dashboard (`GET /admin`): read-only, for admin keys. The key is kept in the
 * tab's session storage (as on the chat page); the server's state refreshes every 2 s and the
 * usage every 10 s. Keys are still managed with the command line.
 */
import { createAdminApi, Refused, type Usage } from './api.js'
import { createHistoryChart, type Measure, seriesOf } from './chart.js'
import {
  renderCapacity,
  renderErrors,
  renderFailures,
  renderHosts,
  renderKeys,
  renderLogins,
  renderQuota,
  renderRuns,
} from './render.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

const STATUS_EVERY_MS = 2_000
const USAGE_EVERY_MS = 10_000

const keyField = $<HTMLInputElement>('key')
const notice = $<HTMLParagraphElement>('notice')
const board = $<HTMLElement>('board')
const historyKey = $<HTMLSelectElement>('history-key')
const historyMeasure = $<HTMLSelectElement>('history-measure')
const api = createAdminApi(() => keyField.value.trim())
const drawHistory = createHistoryChart($('history-chart'))

let usage: Usage | undefined
let lastUsage = 0

const refuse = (message: string) => {
  // Whatever was shown belongs to a key that may no longer be here.
  usage = undefined
  board.hidden = true
  notice.textContent = message
  notice.hidden = false
}

const showHistory = () => {
  if (!usage) return
  const measure = historyMeasure.value as Measure
  const { days, values, totals } = seriesOf(usage, historyKey.value, measure)
  $('history-totals').textContent =
    `${usage.days} days: ${totals.runs} runs · ${totals.tokens.toLocaleString('en-US')} tokens · $${totals.usd.toFixed(4)}`
  drawHistory(days, values, measure)
}

const showUsage = (next: Usage) => {
  usage = next
  renderKeys($('keys').querySelector('tbody') as HTMLElement, next, $('cache-login'))
  const chosen = historyKey.value
  const options = Object.entries(next.keys).map(([id, key]) => new Option(key.name || id, id))
  historyKey.replaceChildren(new Option('All keys', ''), ...options)
  historyKey.value = options.some((o) => o.value === chosen) ? chosen : ''
  showHistory()
}

const refresh = async () => {
  if (!keyField.value.trim()) return refuse('Enter an admin key to see the dashboard.')
  try {
    const status = await api.status()
    if (Date.now() - lastUsage >= USAGE_EVERY_MS || !usage) {
      showUsage(await api.usage())
      lastUsage = Date.now()
    }
    renderQuota($('quota'), status.status.quota)
    renderLogins($('logins'), status.status.logins)
    renderCapacity($('capacity'), status)
    renderRuns($('runs').querySelector('tbody') as HTMLElement, status)
    renderErrors($('errors'), status)
    renderFailures($('failures').querySelector('tbody') as HTMLElement, status)
    renderHosts($('hosts-section'), $('hosts').querySelector('tbody') as HTMLElement, status)
    notice.hidden = true
    board.hidden = false
    $('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`
  } catch (error) {
    refuse(
      error instanceof Refused ? error.message : `Could not reach the server: ${String(error)}`
    )
  }
}

let timer: ReturnType<typeof setTimeout> | undefined
const loop = async () => {
  clearTimeout(timer)
  await refresh()
  timer = setTimeout(loop, STATUS_EVERY_MS)
}

// The admin key lives in the field only, never in the browser's storage: the chat page, one link
// away in the same tab, shares that storage and must never find it.
keyField.addEventListener('change', () => {
  lastUsage = 0
  void loop()
})
historyKey.addEventListener('change', showHistory)
historyMeasure.addEventListener('change', showHistory)
void loop()
