/** The PostgreSQL soak's outcomes as a report (markdown) and whether every guarantee held. */

import { failureLine, guaranteeTable, phaseTable } from './tables.js'

/** The capped key's places and the budget key's budget, which must hold across both front doors. */
export const LIMITS = { maxConcurrent: 2, dailyUsd: 0.0004 }

export type Outcome = {
  /** When it was sent, ms from the start. */
  sent: number
  ms: number
  key: 'steady' | 'capped' | 'budget'
  status: number
  /** `ok`, or what went wrong (status and error type). */
  type: string
  cost: number
}

export type Moments = {
  frontKilledAt: number
  frontRestartedAt: number
  /** When the restarted front door listened again. */
  frontBackAt: number
  hostKilledAt: number
  hostRestartedAt: number
  /** The most runs of the capped key at the model at once. */
  cappedMost: number
  budgetSpent: number
  /** Reservations still held once the load was over and a few leases had passed. */
  reservationsLeft: number
  leaseMs: number
}

/** What a client may see: a retryable 503, a limited key's 429, or its front door dying. */
const EXPECTED =
  /^(503 (host_lost|runner_unavailable|host_draining|store_unavailable)|429 quota_exceeded|front door lost mid-run)$/

export const summarize = (outcomes: Outcome[], m: Moments) => {
  const phases = [
    { name: 'before the front door is killed', from: 0, to: m.frontKilledAt },
    { name: 'front door 1 down', from: m.frontKilledAt, to: m.frontBackAt },
    { name: 'both front doors, to the host kill', from: m.frontBackAt, to: m.hostKilledAt },
    { name: 'host A down and back', from: m.hostKilledAt, to: Number.POSITIVE_INFINITY },
  ]

  const inFlightAt = (o: Outcome, t: number) => o.sent < t && o.sent + o.ms >= t
  const unexpected = outcomes.filter((o) => o.type !== 'ok' && !EXPECTED.test(o.type))
  const lostLate = outcomes.filter(
    (o) => o.type === 'front door lost mid-run' && !inFlightAt(o, m.frontKilledAt)
  )
  const late = (t: number) => (o: Outcome) => o.sent >= t + 2_000 && o.sent < t + 4_000
  const steadyFailedLate = outcomes.filter(
    (o) =>
      o.key === 'steady' &&
      o.type !== 'ok' &&
      (late(m.frontKilledAt)(o) || late(m.hostKilledAt)(o) || o.sent >= m.hostRestartedAt + 2_000)
  )
  const mostCost = Math.max(0, ...outcomes.map((o) => o.cost))
  const checks = [
    [
      'every request answered within its deadline',
      outcomes.every((o) => o.type !== 'no answer within the deadline'),
    ],
    [
      'only expected errors (retryable 503, a limited key’s 429, a front door dying mid-run)',
      unexpected.length === 0,
    ],
    ['only runs in flight on the killed front door were lost with it', lostLate.length === 0],
    [
      'the steady key’s requests 2 s after each kill, and after the host is back, succeeded',
      steadyFailedLate.length === 0,
    ],
    [
      `the capped key never ran more than ${LIMITS.maxConcurrent} at once, across both front doors`,
      m.cappedMost <= LIMITS.maxConcurrent,
    ],
    [
      `the budget key spent at most its $${LIMITS.dailyUsd} budget plus one run`,
      m.budgetSpent <= LIMITS.dailyUsd + mostCost,
    ],
    [
      `no reservation was left once the load was over (within ${m.leaseMs / 1000} s leases)`,
      m.reservationsLeft === 0,
    ],
  ] as const
  const guarantees = guaranteeTable(checks)
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const markdown = [
    '## Soak: two front doors on one PostgreSQL, a front door and a host killed',
    '',
    'Written by `npm run soak -- --postgres` (scripts/soak/postgres.ts): two front doors (their',
    'own processes) on one PostgreSQL (a throwaway cluster), keys in the database, over two runner',
    'hosts (their own processes, the real CLI, each against its own mock on 127.0.0.1). Six',
    'clients send `/llm/chat` in a loop (20 s deadline each), alternating front doors and going to',
    'the other one when one refuses the connection: two on a key without limits, three on a key',
    `with \`max_concurrent\` ${LIMITS.maxConcurrent}, one on a key with \`daily_usd\` ${LIMITS.dailyUsd}. Front door 1 is killed (SIGKILL) at`,
    `${s(m.frontKilledAt)} and started again at ${s(m.frontRestartedAt)} (listening ${s(m.frontBackAt - m.frontRestartedAt)} later); host A is killed at ${s(m.hostKilledAt)}`,
    `and started again at ${s(m.hostRestartedAt)}. Reservations are leased for ${s(m.leaseMs)}. Run on ${new Date().toISOString()}.`,
    '',
    ...phaseTable(outcomes, phases),
    '',
    failureLine(outcomes),
    `By key (answered / sent): ${(['steady', 'capped', 'budget'] as const)
      .map((key) => {
        const mine = outcomes.filter((o) => o.key === key)
        return `${key} ${mine.filter((o) => o.type === 'ok').length} / ${mine.length}`
      })
      .join(', ')}.`,
    `The capped key ran at most ${m.cappedMost} at once; the budget key spent $${m.budgetSpent.toFixed(4)} (the costliest run: $${mostCost.toFixed(4)}).`,
    '',
    ...guarantees.rows,
  ].join('\n')
  return { markdown, ok: guarantees.ok }
}
