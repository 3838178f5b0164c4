/**
 * A front door's runner hosts in `/metrics`: up, draining and busy (gauges), and the runs that
 * moved off each or were lost on it (counters), from the status the scrape reads anyway.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { RunnerStatus } from '../../contract/runner.js'

export const createHostMetrics = (registry: Registry) => {
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] })
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['host'], registers: [registry] })
  const up = gauge('cca_runner_host_up', '1 while a runner host is reachable, else 0.', ['host'])
  const draining = gauge(
    'cca_runner_host_draining',
    '1 while a runner host is shutting down (it takes no new run).',
    ['host']
  )
  const runs = gauge(
    'cca_runner_host_runs',
    'Runs on a runner host (running, queued), as it last said.',
    ['host', 'state']
  )
  const failovers = counter(
    'cca_runner_host_failovers_total',
    'Runs that moved to another host because this one failed before any event.'
  )
  const lost = counter(
    'cca_runner_host_lost_runs_total',
    'Runs cut off on a runner host mid-way (it died, broke off or stalled).'
  )
  // The counters' totals live in the runner; each scrape adds what is new.
  const seen = new Map<string, { failovers: number; lost: number }>()

  return (hosts: NonNullable<RunnerStatus['hosts']>) => {
    for (const host of hosts) {
      const labels = { host: host.url }
      up.set(labels, host.up ? 1 : 0)
      draining.set(labels, host.draining ? 1 : 0)
      runs.set({ ...labels, state: 'running' }, host.running ?? 0)
      runs.set({ ...labels, state: 'queued' }, host.queued ?? 0)
      const before = seen.get(host.url) ?? { failovers: 0, lost: 0 }
      const now = { failovers: host.failovers ?? 0, lost: host.lost_runs ?? 0 }
      failovers.inc(labels, Math.max(0, now.failovers - before.failovers))
      lost.inc(labels, Math.max(0, now.lost - before.lost))
      seen.set(host.url, now)
    }
  }
}
