/** What both soaks' reports show the same way: requests by phase, failures by cause, guarantees. */

/** One request: when it was sent (ms from the start), how long it took, and how it ended. */
export type Sent = { sent: number; ms: number; type: string }

export type Phase = { name: string; from: number; to: number }

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** A markdown table: requests sent in each phase, how many failed, p50 and p99 of the rest. */
export const phaseTable = (outcomes: readonly Sent[], phases: readonly Phase[]) => [
  '| Sent | Requests | Failed | p50 | p99 |',
  '|---|---|---|---|---|',
  ...phases.map((phase) => {
    const inPhase = outcomes.filter((o) => o.sent >= phase.from && o.sent < phase.to)
    const times = inPhase.filter((o) => o.type === 'ok').map((o) => o.ms)
    return `| ${phase.name} | ${inPhase.length} | ${inPhase.length - times.length} | ${Math.round(percentile(times, 50))} ms | ${Math.round(percentile(times, 99))} ms |`
  }),
]

/** `Failures by cause: 503 host_lost × 2, …` (or none). */
export const failureLine = (outcomes: readonly Sent[]) => {
  const failures = new Map<string, number>()
  for (const o of outcomes)
    if (o.type !== 'ok') failures.set(o.type, (failures.get(o.type) ?? 0) + 1)
  const causes = [...failures].map(([type, n]) => `${type} × ${n}`).join(', ')
  return `Requests: ${outcomes.length}. Failures by cause: ${causes || 'none'}.`
}

/** The guarantees as a table, and whether every one held. */
export const guaranteeTable = (checks: ReadonlyArray<readonly [string, boolean]>) => ({
  rows: [
    '| Guarantee | |',
    '|---|---|',
    ...checks.map(([name, ok]) => `| ${name} | ${ok ? 'held' : 'FAILED'} |`),
  ],
  ok: checks.every(([, ok]) => ok),
})
