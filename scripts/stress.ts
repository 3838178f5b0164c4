/**
 * `npm run stress`: plain load on the server with its defaults (processes started ahead, reuse
 * after /clear), the real CLI against the project's mock on 127.0.0.1: rounds of 16 sequential
 * then 8 concurrent `/llm/chat`, a few thousand requests in all, each with its own deadline.
 * It checks that every request is answered, that nothing is left running afterwards (no slot
 * held, no CLI process), and writes what it saw to docs/stress.md. Bounded in count and time.
 *   npm run stress [-- --requests 2400]
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { cliEnv, processesIn, removeDir, tempDir } from '../dev-tools/cli-env.js'
import { startMockAnthropic } from '../dev-tools/mock-anthropic/server.js'
import { startServer } from '../src/runtime/node/entry.js'
import { percentile } from './bench/measure.js'

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2400' } } })
const total = Math.max(24, Number(values.requests))
/** A request not answered within this is counted as unanswered (and given up). */
const REQUEST_DEADLINE_MS = 30_000

const log = (message: string) => process.stderr.write(`${message}\n`)

const home = await tempDir('stress')
const mock = await startMockAnthropic()
const workDir = join(home, 'work')
const server = await startServer({
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  workDir,
  keysFile: join(home, 'keys'),
  warmProcesses: 2,
  runnerOptions: { env: cliEnv(home, mock.url) },
})

type Outcome = { ok: boolean; ms: number; kind: string }
const outcomes: Outcome[] = []
const send = async (i: number): Promise<Outcome> => {
  const started = performance.now()
  try {
    const res = await fetch(`${server.url}/llm/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: `stress ${i}` }),
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    })
    const body = (await res.json()) as { text?: string; type?: string }
    const ok = res.status === 200 && body.text === `ECHO: stress ${i}`
    return { ok, ms: performance.now() - started, kind: ok ? 'ok' : `${res.status} ${body.type}` }
  } catch (error) {
    const kind = (error as Error).name === 'TimeoutError' ? 'unanswered' : 'network error'
    return { ok: false, ms: performance.now() - started, kind }
  }
}

const began = performance.now()
let sent = 0
while (sent < total) {
  for (let i = 0; i < 16 && sent < total; i++) outcomes.push(await send(sent++))
  const batch = Array.from({ length: Math.min(8, total - sent) }, () => send(sent++))
  outcomes.push(...(await Promise.all(batch)))
  if (sent % 240 === 0) log(`stress: ${sent}/${total}`)
}
const seconds = (performance.now() - began) / 1000

const status = (await (await fetch(`${server.url}/llm/status`)).json()) as {
  capacity: { running: number; queued: number }
  processes: { busy: number; parked: number; reused: number; retired: number }
}
await server.close()
const leftover = await processesIn(workDir)
await mock.close()
await removeDir(home)

const byKind = new Map<string, number>()
for (const o of outcomes) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1)
const latencies = outcomes.map((o) => o.ms)
const failed = outcomes.filter((o) => !o.ok).length
const unanswered = byKind.get('unanswered') ?? 0
const clean =
  unanswered === 0 &&
  status.capacity.running === 0 &&
  status.capacity.queued === 0 &&
  status.processes.busy === 0 &&
  leftover.length === 0

const report = `# Stress

Written by \`npm run stress\` (scripts/stress.ts) on ${new Date().toISOString()}: the server with
its defaults (2 processes started ahead, reuse after \`/clear\`), the real CLI against the
project's mock on 127.0.0.1, rounds of 16 sequential then 8 concurrent \`/llm/chat\`. A request
not answered within ${REQUEST_DEADLINE_MS / 1000} s counts as unanswered.

| | |
|---|---|
| requests | ${outcomes.length} in ${seconds.toFixed(0)} s |
| answered correctly | ${outcomes.length - failed} |
| failed | ${failed}${
  failed
    ? ` (${[...byKind]
        .filter(([k]) => k !== 'ok')
        .map(([k, n]) => `${k}: ${n}`)
        .join(', ')})`
    : ''
} |
| unanswered | ${unanswered} |
| latency p50 / p99 / max | ${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} / ${Math.max(...latencies).toFixed(0)} ms |
| reused runs / retired processes | ${status.processes.reused} / ${status.processes.retired} |
| afterwards: running, queued, busy | ${status.capacity.running}, ${status.capacity.queued}, ${status.processes.busy} |
| CLI processes left after shutdown | ${leftover.length} |

Result: **${clean && failed === 0 ? 'every request answered, nothing left running' : 'NOT CLEAN'}**.
`
await writeFile(new URL('../docs/stress.md', import.meta.url), report)
console.log(report)
process.exit(clean && failed === 0 ? 0 : 1)
