/**
 * `npm run soak`: a front door over two runner hosts (their own processes, the real CLI, each
 * against its own mock Messages API on 127.0.0.1) under steady load from three clients, while
 * host A is killed (SIGKILL), started again on its port, and host B is stopped (SIGTERM, which
 * drains it). Writes the soak section of docs/benchmarks.md; exits 1 when a guarantee fails:
 * every request answered within its deadline, after the kill only runs in flight on A fail (each
 * with a retryable error), every request sent 2 s after the kill or later succeeds, the restarted
 * host takes traffic within 10 s, and the SIGTERMed host loses no request.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { writeSection } from '../report-section.js'
import { SOAK_TOKEN, startSoakHosts } from './hosts-rig.js'
import { type Outcome, summarize } from './report.js'

const CLIENTS = 3
const DEADLINE_MS = 20_000
/** When, from the start, each step happens; the load stops at END. */
const KILL_AT = 6_000
const RESTART_AT = 12_000
const TERM_AT = 22_000
const END = 32_000

const home = await tempDir('soak')
const { mocks, hosts, start } = await startSoakHosts(home)
const front = await startServer({
  port: 0,
  logLevel: 'silent',
  runnerUrls: hosts.map((h) => h.url),
  runnerToken: SOAK_TOKEN,
  usageDb: join(home, 'front-usage.db'),
  workDir: join(home, 'front'),
})

const t0 = performance.now()
const now = () => performance.now() - t0
const outcomes: Outcome[] = []
let stop = false

const client = async (n: number) => {
  for (let i = 0; !stop; i++) {
    const sent = now()
    let status = 0
    let type = 'ok'
    try {
      const response = await fetch(`${front.url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `client ${n} request ${i}` }),
        signal: AbortSignal.timeout(DEADLINE_MS),
      })
      status = response.status
      const body = (await response.json()) as { type?: string }
      if (!response.ok) type = `${status} ${body.type ?? 'unknown'}`
      if (!response.ok && !response.headers.get('retry-after')) type += ' (no Retry-After)'
    } catch (error) {
      type = (error as Error).name === 'TimeoutError' ? 'no answer within the deadline' : 'failed'
    }
    outcomes.push({ sent, ms: now() - sent, status, type })
  }
}

const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - now())))
console.error('soak: steady load from 3 clients…')
const load = Array.from({ length: CLIENTS }, (_, n) => client(n))

await at(KILL_AT)
console.error('soak: SIGKILL host A')
const killedAt = now()
const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]]
await a.kill('SIGKILL')

await at(RESTART_AT)
console.error('soak: host A starts again on its port')
const restartedAt = now()
const seenBefore = mocks[0]?.messageRequests().length ?? 0
const again = await start(0, a.port)
let backAt: number | undefined
const watchBack = setInterval(() => {
  if (backAt === undefined && (mocks[0]?.messageRequests().length ?? 0) > seenBefore) backAt = now()
}, 20)

await at(TERM_AT)
console.error('soak: SIGTERM host B (it drains)')
const termAt = now()
const drained = b.kill('SIGTERM')

await at(END)
stop = true
await Promise.all(load)
const bExit = await drained
clearInterval(watchBack)

const report = summarize(outcomes, { killedAt, restartedAt, backAt, termAt, bExit })
const file = join(fileURLToPath(new URL('../../docs/', import.meta.url)), 'benchmarks.md')
await writeSection(file, 'soak', report.markdown)
console.log(report.markdown)

await front.close()
await again.kill('SIGTERM')
for (const mock of mocks) await mock.close()
await removeDir(home)
process.exit(report.ok ? 0 : 1)
