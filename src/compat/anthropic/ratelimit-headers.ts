/**
 * The plan's limits the way the Messages API reports them on a subscription login: the
 * `anthropic-ratelimit-unified-*` headers, built from the login's latest report. Claude Code
 * signed in with a `cca_` key as its OAuth token reads them (and only then; docs/claude-cli.md
 * §5.8) to show plan usage and warnings, and to stop at a used-up window with its real reset.
 */
import type { MiddlewareHandler } from 'hono'
import type { Quota } from '../../contract/quota.js'
import type { AppEnv } from '../../http/env.js'
import { headerValue } from '../../http/header-value.js'

const PREFIX = 'anthropic-ratelimit-unified-'

/** The windows the headers name, by their short names (the client reads no others). */
const SHORT: Record<string, string> = { five_hour: '5h', seven_day: '7d' }

/** Epoch seconds, as the API sends a reset. */
const secondsOf = (iso: string | null | undefined) => {
  const ms = iso ? Date.parse(iso) : Number.NaN
  return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : undefined
}

export const unifiedHeadersOf = (quota: Quota): Record<string, string> => {
  const headers: Record<string, string | undefined> = {
    status: quota.status,
    reset: secondsOf(quota.resets_at),
    'representative-claim': quota.window ?? undefined,
    'overage-status': quota.overage_status ?? undefined,
    'overage-disabled-reason': quota.overage_disabled_reason ?? undefined,
    'overage-in-use': String(quota.using_overage),
  }
  for (const [name, window] of Object.entries(quota.windows)) {
    const short = SHORT[name]
    if (!short) continue
    headers[`${short}-utilization`] = String(window.utilization)
    headers[`${short}-reset`] = secondsOf(window.resets_at)
  }
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[`${PREFIX}${name}`, headerValue(value)]]
    )
  )
}

/** Every answer, plain, streamed or refused, carries the login's latest report (none before one). */
export const ratelimitHeaders = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  await next()
  // The caller's runner: the quota of its key's login.
  const quota = c.var.runner?.quota?.()
  if (!quota) return
  for (const [name, value] of Object.entries(unifiedHeadersOf(quota))) c.header(name, value)
}
