/**
 * The runner protocol (v1), shared by both ends: a front door's remote runner and a runner host.
 *   POST /runner/v1/runs    a RunRequest → 200 and one RunEvent per line (NDJSON), ending in a
 *                           `result`, or an `{"type":"error","error":{type,message,retry_after}}`
 *                           line; failures before the run starts are HTTP errors (native bodies).
 *   GET  /runner/v1/health  `{ protocol, status, capacity, tools }` (Health)
 *   GET  /runner/v1/status, /runner/v1/models
 * Every request carries `x-runner-protocol: 1` and, when the host has a token,
 * `Authorization: Bearer <RUNNER_TOKEN>`.
 */
import * as v from 'valibot'
import { RunCharge, RunEvent } from './events.js'
import { TOOL_PATTERN } from './names.js'
import { Amount } from './run.js'

export const RUNNER_PROTOCOL = 1
export const RUNNER_PROTOCOL_HEADER = 'x-runner-protocol'

/** What a run stream carries besides RunEvents: a failure after the run started. */
export const WireError = v.object({
  type: v.literal('error'),
  /** `billed`: what the failed run cost, so the front door can charge it. */
  error: v.object({
    type: v.string(),
    message: v.string(),
    retry_after: v.optional(Amount),
    billed: v.optional(RunCharge),
  }),
})
export type WireError = v.InferOutput<typeof WireError>

/** A host's health: `tools` are Claude Code's own tools its runs may allow. */
export const Health = v.object({
  protocol: v.number(),
  /** `ok`, or `draining` while it shuts down (it takes no new run). */
  status: v.picklist(['ok', 'draining']),
  capacity: v.optional(v.object({ running: Amount, queued: Amount })),
  tools: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(TOOL_PATTERN))), v.maxLength(64))),
})
export type Health = v.InferOutput<typeof Health>

/** One line of a run stream. */
export const RunnerLine = v.variant('type', [...RunEvent.options, WireError])
