import { describe, expect, it } from 'vitest'
import { QuotaExhaustedError } from '../../src/errors/index.js'
import { createQuotaGate, quotaFromCli, windowName } from '../../src/run/quota.js'

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
