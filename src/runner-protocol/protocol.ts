/**
 * The runner protocol (v1), shared by both ends: a front door's remote runner and a runner host.
 *   POST /runner/v1/runs    a RunRequest → 200 and one RunEvent per line (NDJSON), ending in a
 *                           `result`, or an `{"type":"error","error":{type,message,retry_after}}`
 *                           line; failures before the run starts are HTTP errors (native bodies).
 *   GET  /runner/v1/health  `{ protocol, status, capacity }`
 *   GET  /runner/v1/status, /runner/v1/models
 * Every request carries `x-runner-protocol: 1` and, when the host has a token,
 * `Authorization: Bearer <RUNNER_TOKEN>`.
 */
import type { RunCharge } from '../runner.js'

export const RUNNER_PROTOCOL = 1
export const RUNNER_PROTOCOL_HEADER = 'x-runner-protocol'

/** What a run stream carries besides RunEvents: a failure after the run started. */
export type WireError = {
  type: 'error'
  /** `billed`: what the failed run cost, so the front door can charge it. */
  error: { type: string; message: string; retry_after?: number; billed?: RunCharge }
}
