import { describe, expect, it } from 'vitest'
import { QuotaExhaustedError } from '../../src/errors/index.js'
import { createQuotaGate, overageHolds, quotaFromCli, windowName } from '../../src/run/quota.js'

const report = (status: string, resetsAt: number, utilization = 1) =>
  quotaFromCli({
    status,
    resetsAt,
    rateLimitType: 'five_hour',
    unifiedWindows: { five_hour: { utilization, resetsAt } },
  })

describe('subscription quota', () => {
  it('names windows as people say them', () => {
    expect(windowName('five_hour')).toBe('5-hour')
    expect(windowName('seven_day')).toBe('7-day')
    expect(windowName('seven_day_opus')).toBe('7-day Opus')
    expect(windowName(null)).toBe('usage')
  })

  it('reads a full window as a warning, since the CLI reports the warning as allowed', () => {
    expect(report('allowed', 2_000_000_000, 0.91).status).toBe('allowed_warning')
    expect(report('allowed', 2_000_000_000, 0.5).status).toBe('allowed')
    expect(report('rejected', 2_000_000_000).resets_at).toBe('2033-05-18T03:33:20.000Z')
  })

  it('on paid extra usage: the login runs on, and keys not allowed it wait only until the reset', () => {
    const onOverage = (resetsAt: number) =>
      quotaFromCli({
        status: 'rejected',
        resetsAt,
        rateLimitType: 'five_hour',
        overageStatus: 'allowed',
        isUsingOverage: true,
        unifiedWindows: { five_hour: { utilization: 1, resetsAt } },
      })
    const now = 1_900_000_000_000
    const gate = createQuotaGate({ now: () => now })
    gate.report(onOverage(now / 1000 + 600))
    expect(gate.admits()).toBe(true)
    expect(overageHolds(onOverage(now / 1000 + 600), now)).toBe(true)
    // A report from before the reset no longer holds: the next run finds out.
    expect(overageHolds(onOverage(now / 1000 - 1), now)).toBe(false)
  })

  it('refuses until the reset, but for one probe per interval', () => {
    let now = 1_000_000
    const gate = createQuotaGate({ probeEveryMs: 60_000, now: () => now })
    expect(gate.admits()).toBe(true)
    gate.report(report('rejected', now / 1000 + 1_800))
    expect(() => gate.admit()).toThrow(QuotaExhaustedError)
    try {
      gate.admit()
    } catch (error) {
      expect((error as QuotaExhaustedError).retryAfter).toBe(1_800)
    }
    now += 60_000
    expect(gate.admits()).toBe(true) // the probe
    expect(gate.admits()).toBe(false)
    now += 1_800_000
    expect(gate.admits()).toBe(true)
  })
})
