/**
 * `npm run soak -- --postgres`: two front doors (their own processes) on one PostgreSQL (a
 * throwaway cluster) over two runner hosts (their own processes, the real CLI, each against its
 * own mock on 127.0.0.1), under load from six clients that go to the other front door when one
 * does not answer, as a load balancer would. Front door 1 is killed (SIGKILL) and started again,
 * then host A. Writes the soak-postgres section of docs/benchmarks.md; exits 1 when a guarantee
 * fails (see report-postgres.ts).
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { type CliProcess, startCliProcess } from '../../dev-tools/cli-process.js'
import {
  lastUserMessage,
  type MockRequest,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { startPostgres } from '../../dev-tools/postgres.js'
import { openDatabase } from '../../src/runtime/node/postgres/database.js'
import { createPostgresKeyRecords } from '../../src/runtime/node/postgres/key-store.js'
import { migrate } from '../../src/runtime/node/postgres/migrations.js'
import { writeSection } from '../report-section.js'
import { SOAK_TOKEN, startSoakHosts } from './hosts-rig.js'
import { LIMITS, type Outcome, summarize } from './report-postgres.js'

const DEADLINE_MS = 20_000
const LEASE_MS = 3_000
const KILL_FRONT_AT = 6_000
const RESTART_FRONT_AT = 10_000
const KILL_HOST_AT = 16_000
const RESTART_HOST_AT = 20_000
const END = 28_000

const home = await tempDir('soak-pg')
const pg = await startPostgres()
const databaseUrl = await pg.database('soak')
const db = openDatabase(databaseUrl)
await migrate(db.sql)
const records = createPostgresKeyRecords(db)
const steady = (await records.create({ name: 'steady' })).key
const capped = (
  await records.create({ name: 'capped', policy: { max_concurrent: LIMITS.maxConcurrent } })
).key
const budget = (await records.create({ name: 'budget', policy: { daily_usd: LIMITS.dailyUsd } }))
  .key
/** Which key each client sends with: three contend for the capped key's two places. */
const CLIENTS = [
  ['steady', steady],
  ['steady', steady],
  ['capped', capped],
  ['capped', capped],
  ['capped', capped],
  ['budget', budget],
] as const

// The capped key's runs at the model at once, across both hosts' mocks.
let cappedNow = 0
let cappedMost = 0
const isCapped = (request: MockRequest) =>
  userText(lastUserMessage(request.body)).startsWith('capped')
const { mocks, hosts, start } = await startSoakHosts(home, {
  onRequest(request) {
    if (!isCapped(request)) return
    cappedNow++
    cappedMost = Math.max(cappedMost, cappedNow)
  },
  onEnd(request) {
    if (isCapped(request)) cappedNow--
  },
})
const startFront = (port = 0) =>
  startCliProcess(['serve', '--port', String(port)], {
    DATABASE_URL: databaseUrl,
    DATABASE_LEASE_MS: String(LEASE_MS),
    API_KEYS_STORE: 'database',
    RUNNER_URLS: hosts.map((h) => h.url).join(','),
    RUNNER_TOKEN: SOAK_TOKEN,
    CLAUDE_WORK_DIR: join(home, `front-${port}`),
  })
const fronts: CliProcess[] = [await startFront(), await startFront()]
const urls = fronts.map((f) => f.url)

const t0 = performance.now()
const now = () => performance.now() - t0
const outcomes: Outcome[] = []
let stop = false

/** One request, to `first` and, if that front door does not answer, to the other one. */
const send = async (first: number, key: string, prompt: string) => {
  for (const door of [first, 1 - first]) {
    try {
      const response = await fetch(`${urls[door]}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt }),
        signal: AbortSignal.timeout(DEADLINE_MS),
      })
      const body = (await response.json()) as { type?: string; total_cost_usd?: number }
      let type = response.ok ? 'ok' : `${response.status} ${body.type ?? 'unknown'}`
      if (!response.ok && !response.headers.get('retry-after')) type += ' (no Retry-After)'
      return { status: response.status, type, cost: body.total_cost_usd ?? 0 }
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        return { status: 0, type: 'no answer within the deadline', cost: 0 }
      }
      // Refused at once: the balancer's turn to try the other one. Cut off mid-answer: lost.
      if (!String((error as { cause?: { code?: string } }).cause?.code).includes('ECONNREFUSED')) {
        return { status: 0, type: 'front door lost mid-run', cost: 0 }
      }
    }
  }
  return { status: 0, type: 'no front door answered', cost: 0 }
}

const client = async (n: number) => {
  const [name, key] = CLIENTS[n] ?? CLIENTS[0]
  for (let i = 0; !stop; i++) {
    const sent = now()
    const answer = await send((n + i) % 2, key, `${name} ${n} ${i}`)
    outcomes.push({ sent, ms: now() - sent, key: name, ...answer })
    // A refused key waits a little before it asks again, as a client honouring Retry-After would.
    if (answer.status === 429) await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

const at = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - now())))
console.error(`soak: steady load from ${CLIENTS.length} clients over 2 front doors…`)
const load = CLIENTS.map((_, n) => client(n))

await at(KILL_FRONT_AT)
console.error('soak: SIGKILL front door 1')
const frontKilledAt = now()
const [front1] = fronts as [CliProcess]
await front1.kill('SIGKILL')

await at(RESTART_FRONT_AT)
console.error('soak: front door 1 starts again on its port')
const frontRestartedAt = now()
fronts[0] = await startFront(front1.port)
const frontBackAt = now()

await at(KILL_HOST_AT)
console.error('soak: SIGKILL host A')
const hostKilledAt = now()
const [hostA] = hosts as [CliProcess]
await hostA.kill('SIGKILL')

await at(RESTART_HOST_AT)
console.error('soak: host A starts again on its port')
const hostRestartedAt = now()
const hostAgain = await start(0, hostA.port)

await at(END)
stop = true
await Promise.all(load)

// Every place is given back, or its lease has ended.
const leftAt = now()
let left = -1
while (now() - leftAt < LEASE_MS * 3) {
  const [row] =
    await db.sql`SELECT count(*)::int AS n FROM usage_reservations WHERE expires_at > now()`
  left = row?.n ?? -1
  if (left === 0) break
  await new Promise((resolve) => setTimeout(resolve, 200))
}
const [spent] = await db.sql`SELECT COALESCE(SUM(usd), 0)::float8 AS usd FROM usage_daily u
  JOIN api_keys k ON k.hash = u.key_id WHERE k.name = 'budget'`

const report = summarize(outcomes, {
  frontKilledAt,
  frontRestartedAt,
  frontBackAt,
  hostKilledAt,
  hostRestartedAt,
  cappedMost,
  budgetSpent: Number(spent?.usd ?? 0),
  reservationsLeft: left,
  leaseMs: LEASE_MS,
})
const file = join(fileURLToPath(new URL('../../docs/', import.meta.url)), 'benchmarks.md')
await writeSection(file, 'soak-postgres', report.markdown)
console.log(report.markdown)

for (const front of fronts) await front.kill('SIGTERM')
await hostAgain.kill('SIGTERM')
await hosts[1]?.kill('SIGTERM')
for (const mock of mocks) await mock.close()
await db.close()
await pg.close()
await removeDir(home)
process.exit(report.ok ? 0 : 1)
