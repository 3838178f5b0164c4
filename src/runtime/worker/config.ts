/**
 * The Worker's settings from its bindings: the schema every runtime shares (config/settings.ts)
 * and the usage lease, the only one of its own. A bad value is the same error the Node server
 * stops with; a Worker has no start to refuse, so every request answers it (entry.ts).
 */
import * as v from 'valibot'
import { type Env, readSettings, SharedSettings } from '../../config/settings.js'

export const WorkerSettings = v.object({
  ...SharedSettings.entries,
  /** How long a run's reservation in a key's Durable Object lasts without a word from it. */
  USAGE_LEASE_MS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, (issue) => `USAGE_LEASE_MS must be a whole number (got "${issue.input}")`),
      v.transform(Number)
    )
  ),
})
export type WorkerSettings = v.InferOutput<typeof WorkerSettings>

/** Only the string bindings are settings; the others (KV, assets, Durable Objects) are not. */
export const readWorkerSettings = (env: Record<string, unknown>): WorkerSettings =>
  readSettings(
    WorkerSettings,
    Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string')) as Env
  )
