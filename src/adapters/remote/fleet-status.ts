/** A front door's status: every host asked, capacity added up, each host listed. */
import type { CapacityStatus, RunnerStatus } from '../../runner.js'
import type { HostSet } from './host-set.js'

export const fleetStatus = async (set: HostSet, timeoutMs: number): Promise<RunnerStatus> => {
  const { hosts } = set
  const states = await Promise.all(
    // A host's status asks its CLI (version, login): slower than a health check on a busy host.
    hosts.map(
      (host) =>
        set.get(host, '/runner/v1/status', timeoutMs).catch(() => undefined) as Promise<
          RunnerStatus | undefined
        >
    )
  )
  hosts.forEach((host, i) => {
    const reported = states[i]?.quota
    if (reported) host.quota.report(reported)
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
    hosts: hosts.map((host, i) => ({
      url: host.url,
      up: Boolean(states[i]),
      quota: host.quota.current() ?? null,
    })),
  }
}
