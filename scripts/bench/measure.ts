/** Timing and CPU accounting for the benchmark. Linux: CPU time is read from /proc. */
import { readFile } from 'node:fs/promises'
import { processesIn } from '../../dev-tools/cli-env.js'

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends `total` requests, `concurrency` at a time; latencies and wall time. */
export const load = async (
  send: (i: number) => Promise<void>,
  total: number,
  concurrency: number
) => {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++
        const t = performance.now()
        await send(i)
        latencies.push(performance.now() - t)
      }
    })
  )
  return { latencies, ms: performance.now() - started }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const HZ = 100

/** utime + stime of a process, and of its children it has waited for, in ticks (fields 14–17). */
const statTicks = async (pid: number | 'self', withChildren: boolean) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number)
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15)
  return utime + stime + (withChildren ? cutime + cstime : 0)
}

/**
 * CPU seconds used so far by this process (server and client share it), the children it has
 * reaped, and the CLI processes still alive under `dirs` (processes started ahead included).
 */
export const cpuSeconds = async (dirs: string[]) => {
  let ticks = await statTicks('self', true)
  for (const dir of dirs) {
    for (const pid of await processesIn(dir)) ticks += await statTicks(pid, true)
  }
  return ticks / HZ
}
