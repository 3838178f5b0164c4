/**
 * The dashboard's sections drawn from the data, with text nodes only (nothing the server or a
 * key's name holds is ever parsed as markup).
 */
import type { AdminStatus, Usage } from './api.js'

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  if (text !== undefined) node.textContent = text
  if (className) node.className = className
  return node
}

const row = (...cells: Array<string | Node>) => {
  const tr = el('tr')
  for (const cell of cells) {
    const td = el('td')
    td.append(cell)
    tr.append(td)
  }
  return tr
}

const fill = (body: HTMLElement, rows: HTMLElement[], empty: string, columns: number) => {
  if (rows.length > 0) return body.replaceChildren(...rows)
  const td = el('td', empty, 'empty')
  td.colSpan = columns
  const tr = el('tr')
  tr.append(td)
  body.replaceChildren(tr)
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`
const count = (n: number) => n.toLocaleString('en-US')

/** "in 3 h 12 min", "in 45 s": how long until `iso`. */
export const countdown = (iso: string, now = Date.now()) => {
  const s = Math.max(0, Math.round((Date.parse(iso) - now) / 1000))
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d > 0) return `in ${d} d ${h} h`
  if (h > 0) return `in ${h} h ${m} min`
  if (m > 0) return `in ${m} min ${s % 60} s`
  return `in ${s} s`
}

const since = (iso: string, now = Date.now()) => {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`
}

type Totals = Usage['keys'][string]['today']

/** Input tokens read from the prompt cache, of all input tokens: "82%", or "–" with none. */
export const cacheHits = (
  t: Pick<Totals, 'input_tokens' | 'cache_read_tokens' | 'cache_write_tokens'>
) => {
  const all = t.input_tokens + t.cache_read_tokens + t.cache_write_tokens
  return all > 0 ? `${Math.round((t.cache_read_tokens / all) * 100)}%` : '–'
}

export const renderKeys = (body: HTMLElement, usage: Usage, login?: HTMLElement) => {
  const rows = Object.entries(usage.keys).map(([id, key]) => {
    const spend = el('span', usd(key.today.usd))
    const budget = key.limits?.daily_usd
    const cell = el('span')
    cell.append(spend)
    if (budget) {
      cell.append(` of ${usd(budget)}`)
      const meter = el('meter')
      meter.max = budget
      meter.value = Math.min(budget, key.today.usd)
      meter.high = budget * 0.8
      meter.setAttribute('aria-label', `${key.name || id}: spend of the daily budget`)
      cell.append(meter)
    } else cell.append(' (no budget)')
    const tr = row(
      `${key.name || id}`,
      count(key.today.runs),
      `${count(key.today.input_tokens)} / ${count(key.today.output_tokens)}`,
      cacheHits(key.today),
      cell,
      count(key.active)
    )
    tr.dataset.key = id
    return tr
  })
  fill(body, rows, 'No runs recorded yet', 6)
  if (login) {
    const all = { input_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 }
    for (const key of Object.values(usage.keys)) {
      all.input_tokens += key.today.input_tokens
      all.cache_read_tokens += key.today.cache_read_tokens
      all.cache_write_tokens += key.today.cache_write_tokens
    }
    login.textContent = `Prompt cache hits today, all keys (the login): ${cacheHits(all)} of input tokens`
  }
}

export const renderQuota = (box: HTMLElement, quota: AdminStatus['status']['quota']) => {
  if (!quota) {
    box.replaceChildren(
      el('p', 'Not reported yet: a subscription login reports it with every answer.')
    )
    return
  }
  const names: Record<string, string> = { five_hour: '5-hour', seven_day: '7-day' }
  const windows = Object.entries(quota.windows).map(([name, w]) => {
    const div = el('div', undefined, 'window')
    div.dataset.window = name
    const title = el('strong', `${names[name] ?? name.replaceAll('_', ' ')} window: `)
    const used = el('span', `${Math.round(w.utilization * 100)}% used`)
    const reset = el('span', w.resets_at ? `, resets ${countdown(w.resets_at)}` : '')
    if (w.resets_at) reset.title = w.resets_at
    const bar = el('progress')
    bar.max = 1
    bar.value = w.utilization
    bar.setAttribute('aria-label', `${names[name] ?? name} window used`)
    div.append(title, used, reset, bar)
    return div
  })
  const status = el('p', `Status: ${quota.status}`, `status-${quota.status}`)
  box.replaceChildren(status, ...windows)
}

/** Each key login's windows, by name (none: nothing, as on a server without logins). */
export const renderLogins = (box: HTMLElement, logins: AdminStatus['status']['logins']) => {
  box.replaceChildren(
    ...Object.entries(logins ?? {}).map(([name, quota]) => {
      const section = el('div', undefined, 'login')
      section.dataset.login = name
      const windows = el('div')
      renderQuota(windows, quota)
      section.append(el('h3', `Login ${name}`), windows)
      return section
    })
  )
}

export const renderCapacity = (list: HTMLElement, status: AdminStatus) => {
  const { capacity, processes } = status.status
  const entries: Array<[string, string]> = [
    ['Running', `${capacity.running} of ${capacity.max_concurrency}`],
    ['Queued', `${capacity.queued} of ${capacity.max_queue}`],
    [
      'Per key',
      Object.entries(status.shares)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ') || 'none',
    ],
  ]
  if (processes) {
    entries.push([
      'CLI processes',
      `${processes.warm} warm, ${processes.busy} busy, ${processes.parked ?? 0} parked, ${processes.starting} starting`,
    ])
  }
  list.replaceChildren(...entries.flatMap(([name, value]) => [el('dt', name), el('dd', value)]))
}

export const renderRuns = (body: HTMLElement, status: AdminStatus) => {
  const rows = status.runs.map((run) => {
    const tr = row(run.key, run.model, run.state, since(run.since))
    tr.dataset.run = run.id
    return tr
  })
  fill(body, rows, 'Nothing running', 4)
}

export const renderErrors = (list: HTMLElement, status: AdminStatus) => {
  const items = Object.entries(status.errors.by_type).map(([type, n]) => el('li', `${type}: ${n}`))
  list.replaceChildren(...(items.length > 0 ? items : [el('li', 'None')]))
}

/** The latest failures, newest first, each with its trace id to look it up in the tracing backend. */
export const renderFailures = (body: HTMLElement, status: AdminStatus) => {
  const rows = status.errors.latest.map((failure) => {
    const tr = row(
      `${since(failure.at)} ago`,
      failure.type,
      failure.key,
      el('code', failure.trace_id ?? '–')
    )
    if (failure.trace_id) tr.dataset.trace = failure.trace_id
    return tr
  })
  fill(body, rows, 'None', 4)
}

export const renderHosts = (section: HTMLElement, body: HTMLElement, status: AdminStatus) => {
  const hosts = status.status.hosts
  section.hidden = !hosts
  if (!hosts) return
  const rows = hosts.map((host) =>
    row(
      host.url,
      el('span', host.up ? (host.draining ? 'draining' : 'up') : 'down', host.up ? 'up' : 'down'),
      host.since ? since(host.since) : '',
      String(host.running ?? 0),
      host.last_error ? `${host.last_error.message} (${since(host.last_error.at)} ago)` : ''
    )
  )
  fill(body, rows, 'No hosts', 5)
}
