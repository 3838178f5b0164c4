/**
 * A front door's status: every host that is up asked (a host known to be down is not waited
 * on), capacity added up, and each host listed as the front door knows it.
 */
import type { CapacityStatus, RunnerStatus } from '../../contract/runner.js'
import type { Host, HostSet } from './host-set.js'

/** A host as `/llm/status` and `/metrics` show it. */
export const hostView = (host: Host) => ({
  url: host.url,
  up: host.up,
  draining: host.draining,
  since: new Date(host.since).toISOString(),
  running: host.running,
  queued: host.queued,
  last_error: host.lastError
    ? { message: host.lastError.message, at: new Date(host.lastError.at).toISOString() }
    : null,
  failovers: host.failovers,
  lost_runs: host.lost,
  quota: host.quota.current() ?? null,
})

export const fleetStatus = async (set: HostSet, timeoutMs: number): Promise<RunnerStatus> => {
  const { hosts } = set
  const states = await Promise.all(
    // A host's status asks its CLI (version, login): slower than a health check on a busy host.
    hosts.map((host) =>
      host.up
        ? (set.get(host, '/runner/v1/status', timeoutMs).catch((error) => {
            set.markDown(host, error)
            return undefined
          }) as Promise<RunnerStatus | undefined>)
        : undefined
    )
  )
  hosts.forEach((host, i) => {
    const state = states[i]
    if (!state) return
    if (state.quota) host.quota.report(state.quota)
    host.reportLoad(state.capacity.running, state.capacity.queued)
  })
  const up = states.filter((s): s is RunnerStatus => s !== undefined)
  const capacity = up.reduce<CapacityStatus>(
    (sum, s) => ({
      max_concurrency: sum.max_concurrency + s.capacity.max_concurrency,
      running: sum.running + s.capacity.running,
      queued: sum.queued + s.capacity.queued,
      max_queue: sum.max_queue + s.capacity.max_queue,
    }),
    { max_concurrency: 0, running: 0, queued: 0, max_queue: 0 }
  )
  const first = up[0]
  return {
    available: up.some((s) => s.available),
    binary_path: first?.binary_path ?? null,
    binary_source: first ? 'remote' : null,
    version: first?.version ?? null,
    logged_in: first ? up.every((s) => s.logged_in) : null,
    auth_method: first?.auth_method ?? null,
    capacity,
    hosts: hosts.map(hostView),
  }
}
