/**
 * While the caller's Claude login (its key's, or the server's) is close to its subscription quota, answers say how close, so
 * clients can slow down before they are refused: `x-claude-quota-utilization` (0 to 1 of the
 * deciding window), `x-claude-quota-window` and `x-claude-quota-resets-at`.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from './env.js'
import { headerValue } from './header-value.js'

export const quotaHeaders = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  await next()
  // The caller's runner: the quota of its key's login.
  const quota = c.var.runner?.quota?.()
  if (quota?.status !== 'allowed_warning') return
  const used = quota.window ? quota.windows[quota.window]?.utilization : undefined
  // A runner host's report is checked by its schema already; this holds whatever its source.
  if (used !== undefined) c.header('x-claude-quota-utilization', headerValue(String(used)))
  if (quota.window) c.header('x-claude-quota-window', headerValue(quota.window))
  if (quota.resets_at) c.header('x-claude-quota-resets-at', headerValue(quota.resets_at))
}
