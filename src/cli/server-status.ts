/**
 * `claude-code-api status --url URL --key ADMIN_KEY`: a running server's state from its
 * `/admin/status`, the JSON the dashboard reads: capacity, the login's quota, the runs in flight,
 * the last hour's failures, and a front door's runner hosts.
 */
import type * as v from 'valibot'
import type { AdminStatusResponse } from '../contract/admin.js'
import { errorFromResponse } from '../http/error-body.js'
import { printTable } from './table.js'

type AdminStatus = v.InferOutput<typeof AdminStatusResponse>

const ago = (iso: string) => `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s`

export const serverStatus = async (url: string, key: string | undefined, json: boolean) => {
  const response = await fetch(`${url.replace(/\/+$/, '')}/admin/status`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  })
  if (!response.ok) throw await errorFromResponse(response)
  const state = (await response.json()) as AdminStatus
  if (json) return console.log(JSON.stringify(state, null, 2))
  const { status } = state
  const { capacity } = status
  console.log(
    `Runs: ${capacity.running} running of ${capacity.max_concurrency}, ${capacity.queued} queued of ${capacity.max_queue}`
  )
  if (status.processes) {
    const p = status.processes
    console.log(`CLI processes: ${p.warm} warm, ${p.busy} busy, ${p.parked ?? 0} parked`)
  }
  const quota = status.quota
  console.log(
    quota
      ? `Quota: ${quota.status}; ${Object.entries(quota.windows)
          .map(
            ([name, w]) =>
              `${name} ${Math.round(w.utilization * 100)}%${w.resets_at ? ` (resets ${w.resets_at})` : ''}`
          )
          .join(', ')}`
      : 'Quota: not reported yet'
  )
  console.log()
  if (state.runs.length === 0) console.log('Nothing running')
  else
    printTable(
      ['KEY', 'MODEL', 'STATE', 'FOR'],
      state.runs.map((run) => [run.key, run.model, run.state, ago(run.since)])
    )
  const failures = Object.entries(state.errors.by_type)
  console.log(
    `\nFailed runs, last hour: ${failures.length === 0 ? 'none' : failures.map(([t, n]) => `${t} × ${n}`).join(', ')}`
  )
  if (status.hosts) {
    console.log()
    printTable(
      ['HOST', 'STATE', 'SINCE', 'RUNNING', 'LAST ERROR'],
      status.hosts.map((host) => [
        host.url,
        host.up ? (host.draining ? 'draining' : 'up') : 'down',
        host.since ? ago(host.since) : '',
        String(host.running ?? 0),
        host.last_error?.message ?? '',
      ])
    )
  }
}
