/**
 * `GET /metrics` in the Prometheus text format, with prom-client (Node only; its own registry,
 * so embedding apps keep theirs). Requests are counted as the request log records them; the
 * runner's state (capacity, CLI processes, the login's quota, a front door's hosts) is read when
 * Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AppMetrics } from '../../api/metrics.js'
import type { ClaudeRunner } from '../../contract/runner.js'
import type { RequestRecord } from '../../http/request-log.js'
import { createCacheHits } from './cache-metrics.js'
import { createHostMetrics } from './host-metrics.js'

const RUN_ROUTES = /^\/(llm\/(chat|json|query)|v1\/(chat\/completions|messages))/

export const createMetrics = (runner: ClaudeRunner): AppMetrics => {
  const registry = new Registry()
  const requests = new Counter({
    name: 'cca_http_requests_total',
    help: 'HTTP requests by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
  })
  const duration = new Histogram({
    name: 'cca_http_request_duration_seconds',
    help: 'Time from request to the end of the response (streams included).',
    labelNames: ['route'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  const firstByte = new Histogram({
    name: 'cca_http_time_to_first_byte_seconds',
    help: 'Time from request to the start of the response (a stream: its first byte).',
    labelNames: ['route'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  const runs = new Counter({
    name: 'cca_runs_total',
    help: 'Runs by outcome (ok or the error type) and model.',
    labelNames: ['outcome', 'model'],
    registers: [registry],
  })
  const tokens = new Counter({
    name: 'cca_tokens_total',
    help: 'Tokens of finished runs, by kind (input, output, cache_read, cache_write) and model.',
    labelNames: ['kind', 'model'],
    registers: [registry],
  })
  const cost = new Counter({
    name: 'cca_cost_usd_total',
    help: 'USD of finished runs, as the CLI reports it, by model.',
    labelNames: ['model'],
    registers: [registry],
  })
  const startWait = new Histogram({
    name: 'cca_run_start_wait_seconds',
    help: 'From a request until its run started: waiting for a slot in the queue, and the CLI process (cold, started ahead, or reused).',
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  })
  const cacheHits = createCacheHits(registry)
  const upstream = new Counter({
    name: 'cca_upstream_errors_total',
    help: 'Failures on the model side (rate limits, quota, overload, API errors), by type.',
    labelNames: ['type'],
    registers: [registry],
  })

  // Read from the runner at scrape time.
  const capacity = new Gauge({
    name: 'cca_runs',
    help: 'Runs now: running, queued, and the limits (max_concurrency, max_queue).',
    labelNames: ['state'],
    registers: [registry],
  })
  const processes = new Gauge({
    name: 'cca_cli_processes',
    help: 'CLI processes now (warm, starting, resetting, busy, parked, held) and since start (started, used, reused, retired, continued).',
    labelNames: ['state'],
    registers: [registry],
  })
  const quota = new Gauge({
    name: 'cca_quota_utilization',
    help: "The Claude login's subscription quota used, 0 to 1, by window (as last reported).",
    labelNames: ['window'],
    registers: [registry],
  })
  const quotaRejected = new Gauge({
    name: 'cca_quota_rejected',
    help: '1 while the login reports a window used up, else 0.',
    registers: [registry],
  })

  const hostMetrics = createHostMetrics(registry)

  const scrape = async () => {
    const status = await runner.status()
    if (status.hosts) hostMetrics(status.hosts)
    for (const [state, value] of Object.entries(status.capacity)) capacity.set({ state }, value)
    for (const [state, value] of Object.entries(status.processes ?? {})) {
      processes.set({ state }, value)
    }
    const current = status.quota ?? runner.quota?.()
    for (const [window, w] of Object.entries(current?.windows ?? {})) {
      quota.set({ window }, w.utilization)
    }
    quotaRejected.set(current?.status === 'rejected' ? 1 : 0)
  }

  return {
    contentType: registry.contentType,
    observe(record: RequestRecord) {
      const { route, method } = record
      requests.inc({ route, method, status: String(record.status) })
      duration.observe({ route }, record.durationMs / 1000)
      firstByte.observe({ route }, record.firstByteMs / 1000)
      if (record.error_type && record.upstream) {
        upstream.inc({ type: record.error_type })
      }
      if (!RUN_ROUTES.test(route) || record.status === 404) return
      if (record.start_wait_ms !== undefined) startWait.observe(record.start_wait_ms / 1000)
      const model = record.model ?? 'unknown'
      runs.inc({ outcome: record.error_type ?? 'ok', model })
      if (record.input_tokens) tokens.inc({ kind: 'input', model }, record.input_tokens)
      if (record.output_tokens) tokens.inc({ kind: 'output', model }, record.output_tokens)
      if (record.cache_read_tokens) {
        tokens.inc({ kind: 'cache_read', model }, record.cache_read_tokens)
      }
      if (record.cache_write_tokens) {
        tokens.inc({ kind: 'cache_write', model }, record.cache_write_tokens)
      }
      cacheHits.observe(record)
      if (record.cost_usd) cost.inc({ model }, record.cost_usd)
    },
    async render() {
      await scrape().catch(() => {})
      return registry.metrics()
    },
  }
}
