/**
 * A Claude subscription login's quota (5-hour and 7-day windows), as the CLI reports it in
 * `rate_limit_event` lines, and what follows from it: while the login is rejected and its reset
 * has not come, runs are refused before any CLI starts (with the real time to wait), except one
 * probe a minute that notices a limit lifted early. Portable: the Node runner keeps one gate for
 * its login, a front door one per runner host.
 */

import type { Quota } from '../contract/quota.js'
import { LoginQuotaError, OverageNotAllowedError, QuotaExhaustedError } from '../errors/index.js'
import type { Logger } from '../lib/logger.js'

export type { Quota }

type Info = Record<string, unknown>

const isoOf = (epochSeconds: unknown) =>
  typeof epochSeconds === 'number' && Number.isFinite(epochSeconds)
    ? new Date(epochSeconds * 1000).toISOString()
    : null

/** A name as the quota's schema takes it (a lower-case word); anything else is left out. */
const textOf = (value: unknown) =>
  typeof value === 'string' && /^[a-z0-9_]{1,64}$/.test(value) ? value : null

/**
 * A window this full is a warning. The API says `allowed_warning`, but the CLI (2.1.330,
 * measured) reports that as `allowed` with the utilization, so the warning is read from it.
 */
export const WARN_AT = 0.8

/** The CLI's `rate_limit_info`, in the shape `/llm/status` shows. */
export const quotaFromCli = (info: Info, seenAt = new Date()): Quota => {
  const windows: Quota['windows'] = {}
  const unified = (info.unifiedWindows ?? {}) as Record<string, Info>
  for (const [name, w] of Object.entries(unified).slice(0, 16)) {
    if (typeof w?.utilization !== 'number' || !Number.isFinite(w.utilization)) continue
    if (textOf(name) === null) continue
    windows[name] = { utilization: w.utilization, resets_at: isoOf(w.resetsAt) }
  }
  const reported = textOf(info.status) ?? 'allowed'
  const full = Object.values(windows).some((w) => w.utilization >= WARN_AT)
  return {
    status: reported === 'allowed' && full ? 'allowed_warning' : reported,
    window: textOf(info.rateLimitType),
    resets_at: isoOf(info.resetsAt),
    overage_status: textOf(info.overageStatus),
    overage_disabled_reason: textOf(info.overageDisabledReason),
    using_overage: info.isUsingOverage === true,
    windows,
    seen_at: seenAt.toISOString(),
  }
}

/**
 * The login's window is used up but it runs on paid extra usage: runs still go through, billed
 * as overage, for the keys allowed it (policy-runner.ts).
 */
export const onOverage = (quota: Quota) =>
  quota.using_overage ||
  (quota.status === 'rejected' &&
    (quota.overage_status === 'allowed' || quota.overage_status === 'allowed_warning'))

/** The login is out: a window used up, and no paid extra usage to go on with. */
export const usedUp = (quota: Quota) => quota.status === 'rejected' && !onOverage(quota)

/** The report's reset is still to come (one from before it no longer holds: the next run finds out). */
const beforeReset = (quota: Quota, now: number) =>
  quota.resets_at !== null && Date.parse(quota.resets_at) > now

/** Seconds until the report's reset (a minute when it names none). */
const secondsToReset = (quota: Quota, now: number) =>
  quota.resets_at ? Math.max(1, Math.ceil((Date.parse(quota.resets_at) - now) / 1000)) : 60

/** Whether keys not allowed overage are refused now: the login is on it, until the reset. */
export const overageHolds = (quota: Quota, now = Date.now()) =>
  onOverage(quota) && beforeReset(quota, now)

/** The refusal for a key not allowed paid extra usage while the login is on it. */
export const overageError = (quota: Quota, now = Date.now(), login?: string) => {
  const seconds = secondsToReset(quota, now)
  const whose = login ? `This key's Claude login (${login})` : "The server's Claude login"
  return new OverageNotAllowedError(
    `${whose} is on paid extra usage (its ${windowName(quota.window)} limit is used up), which this key may not spend; the limit resets in ${Math.ceil(seconds / 60)} min`,
    { retryAfter: seconds }
  )
}

/** `five_hour` → "5-hour", `seven_day_opus` → "7-day Opus". */
export const windowName = (window: string | null) => {
  if (!window) return 'usage'
  const words = window.split('_')
  const numbers: Record<string, string> = { five: '5', seven: '7' }
  const [count, unit, ...rest] = words
  const head = count && unit && numbers[count] ? `${numbers[count]}-${unit}` : words.join(' ')
  const tail = count && unit && numbers[count] ? rest : []
  return [head, ...tail.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join(' ')
}

/**
 * The refusal for a rejected quota: 429 with the seconds until the real reset; for a key's own
 * login (`login`), its own type, so nobody mistakes it for the server's.
 */
export const quotaError = (quota: Quota, now = Date.now(), login?: string) => {
  const resetAt = quota.resets_at ? new Date(quota.resets_at) : undefined
  const seconds = secondsToReset(quota, now)
  const when = resetAt
    ? `; it resets at ${resetAt.toISOString()} (in ${Math.ceil(seconds / 60)} min)`
    : ''
  const options = { retryAfter: seconds, resetAt, window: quota.window }
  return login
    ? new LoginQuotaError(
        `The ${windowName(quota.window)} limit of this key's Claude login (${login}) is used up${when}`,
        options
      )
    : new QuotaExhaustedError(
        `The ${windowName(quota.window)} limit of the server's Claude login is used up${when}`,
        options
      )
}

export type QuotaGateOptions = {
  /** The key's own login this gate is for (absent: the server's). */
  login?: string
  /** Told each report after the gate has taken it. */
  onReport?: (quota: Quota) => void
  /** While rejected, one run is let through this often to see if the limit was lifted. */
  probeEveryMs?: number
  now?: () => number
  logger?: Logger
}

export const createQuotaGate = ({
  login,
  onReport,
  probeEveryMs = 60_000,
  now = Date.now,
  logger,
}: QuotaGateOptions = {}) => {
  let latest: Quota | undefined
  let lastProbe = 0
  let warned: string | undefined

  const rejected = () => latest !== undefined && usedUp(latest) && beforeReset(latest, now())
  /** Says so once per window and reset. */
  const warnOnce = (key: string, message: string, fields: Record<string, unknown>) => {
    if (warned === key) return
    warned = key
    logger?.warn(message, fields)
  }

  return {
    /** The latest report. */
    current: () => latest,
    report(quota: Quota) {
      latest = quota
      const at = { window: quota.window, resets_at: quota.resets_at }
      if (quota.status === 'allowed_warning') {
        const used = quota.window ? quota.windows[quota.window]?.utilization : undefined
        warnOnce(`${quota.window}@${quota.resets_at}`, 'Claude login close to its quota', {
          ...at,
          login,
          utilization: used,
        })
      } else if (onOverage(quota)) {
        warnOnce(`overage:${quota.window}@${quota.resets_at}`, 'Claude login on paid extra usage', {
          ...at,
          login,
        })
      } else if (quota.status === 'rejected') {
        // The run that saw it was the latest attempt: the next probe is a full interval away.
        lastProbe = now()
        logger?.error('Claude login quota used up', { ...at, login })
      }
      onReport?.(quota)
    },
    /** Whether a run may start now: true, or false while rejected (a due probe is let through). */
    admits() {
      if (!rejected()) return true
      if (now() - lastProbe < probeEveryMs) return false
      lastProbe = now()
      return true
    },
    /** Throws the 429 unless a run may start now. */
    admit() {
      if (!this.admits() && latest) throw quotaError(latest, now(), login)
    },
  }
}

export type QuotaGate = ReturnType<typeof createQuotaGate>

/** One gate per login: the server's (no name) and each key's own, made when first asked for. */
export const createQuotaGates = ({
  onLoginReport,
  ...options
}: Omit<QuotaGateOptions, 'login' | 'onReport'> & {
  /** Told each report of a named login (the server keeps them for `logins list`). */
  onLoginReport?: (login: string, quota: Quota) => void
} = {}) => {
  const server = createQuotaGate(options)
  const logins = new Map<string, QuotaGate>()
  const of = (login?: string): QuotaGate => {
    if (!login) return server
    let gate = logins.get(login)
    if (!gate) {
      gate = createQuotaGate({
        ...options,
        login,
        onReport: (quota) => onLoginReport?.(login, quota),
      })
      logins.set(login, gate)
    }
    return gate
  }
  return {
    of,
    /** Each named login's latest report, by name. */
    logins: () =>
      Object.fromEntries(
        [...logins].flatMap(([name, gate]) => {
          const quota = gate.current()
          return quota ? [[name, quota]] : []
        })
      ) as Record<string, Quota>,
  }
}

export type QuotaGates = ReturnType<typeof createQuotaGates>
