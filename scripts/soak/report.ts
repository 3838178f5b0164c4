/** The soak's outcomes as a report (markdown) and whether every guarantee held. */

import { failureLine, guaranteeTable, phaseTable } from './tables.js'

export type Outcome = {
  /** When it was sent, ms from the start. */
  sent: number
  ms: number
  status: number
  /** `ok`, or what went wrong (status and error type). */
  type: string
}

export type Moments = {
  killedAt: number
  restartedAt: number
  /** When the restarted host first served a run. */
  backAt?: number
  termAt: number
  bExit: number | string
}

const RETRYABLE = /^503 (host_lost|runner_unavailable|host_draining)$/

export const summarize = (outcomes: Outcome[], m: Moments) => {
  const phases = [
    { name: 'before the kill', from: 0, to: m.killedAt },
    { name: 'the 2 s after the kill', from: m.killedAt, to: m.killedAt + 2_000 },
    { name: 'after that, to the SIGTERM', from: m.killedAt + 2_000, to: m.termAt },
    { name: 'after the SIGTERM', from: m.termAt, to: Number.POSITIVE_INFINITY },
  ]

  // Runs in flight on the killed host were sent before the kill; nothing sent later may fail.
  const failedLate = outcomes.filter((o) => o.type !== 'ok' && o.sent >= m.killedAt + 2_000)
  const unanswered = outcomes.filter((o) => o.status === 0)
  const notRetryable = outcomes.filter((o) => o.type !== 'ok' && !RETRYABLE.test(o.type))
  const lostToTerm = outcomes.filter((o) => o.type !== 'ok' && o.sent >= m.termAt - 1_000)
  const backIn = m.backAt === undefined ? undefined : m.backAt - m.restartedAt
  const checks = [
    ['every request answered within its deadline', unanswered.length === 0],
    ['only retryable errors (503 with Retry-After)', notRetryable.length === 0],
    ['every request sent 2 s after the kill or later succeeded', failedLate.length === 0],
    ['the restarted host took traffic within 10 s', backIn !== undefined && backIn <= 10_000],
    ['the SIGTERMed host lost no request, and exited 0', lostToTerm.length === 0 && m.bExit === 0],
  ] as const
  const guarantees = guaranteeTable(checks)
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const markdown = [
    '## Soak: a runner host killed, restarted, and stopped',
    '',
    'Written by `npm run soak` (scripts/soak/hosts.ts): a front door over two runner hosts (their own',
    'processes, the real CLI, each against its own mock on 127.0.0.1), three clients sending',
    `\`/llm/chat\` in a loop (20 s deadline each). Host A is killed (SIGKILL) at ${s(m.killedAt)},`,
    `started again on its port at ${s(m.restartedAt)}; host B gets SIGTERM at ${s(m.termAt)}.`,
    `Run on ${new Date().toISOString()}.`,
    '',
    ...phaseTable(outcomes, phases),
    '',
    failureLine(outcomes),
    `The restarted host took traffic ${backIn === undefined ? 'never' : `${s(backIn)} after its process was started`}; host B exited with ${m.bExit} after draining.`,
    '',
    ...guarantees.rows,
  ].join('\n')
  return { markdown, ok: guarantees.ok }
}
