/**
 * `npm run bench`: speed and memory, every figure from one run, side by side, checked against the
 * goals below (ratios, so a slower or busier machine moves both sides). Everything binds
 * 127.0.0.1 and the CLI talks to the project's mock; nothing leaves the machine. Writes
 * docs/benchmarks.md and docs/benchmarks.json; exits 1 when a goal is missed.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliEnv, removeDir, tempDir } from '../dev-tools/cli-env.js'
import { startMockAnthropic } from '../dev-tools/mock-anthropic/server.js'
import { readClaudeVersion, resolveClaudeBinary } from '../src/adapters/node/process/binary.js'
import { CHARTS, writeBenchCharts } from './bench/charts.js'
import { claimedLatency } from './bench/claim.js'
import { claudeCodeAsClient } from './bench/claude-client.js'
import { claudeCodeSession } from './bench/claude-session.js'
import { httpOverhead } from './bench/http.js'
import { inputBlocking } from './bench/input.js'
import { loginsSection, ownLoginLatency } from './bench/logins.js'
import { compareModes, type ModeResult } from './bench/modes.js'
import { chunkDelays, rssWithOpenStreams } from './bench/streams.js'
import { tracingCost, tracingSection } from './bench/tracing.js'
import { sectionOf } from './report-section.js'

const GOALS = {
  overheadP95Ms: 5,
  overheadRps: 1_000,
  /**
   * Server p50 with the defaults, as a share of a direct cold CLI call's: the issue asks ≤ 0.30
   * for processes started ahead and ≤ 0.12 with reuse on, which the defaults are.
   */
  p50ShareReuse: 0.12,
  /** Wall time of 8 requests at once, as a share of 8 direct cold calls at once. */
  wall8Share: 0.6,
  streamsRssMiB: 100,
  chunkDelayP99Ms: 5,
  /** The longest the event loop may be blocked by input a client or the model controls. */
  inputBlockMs: 50,
  /** Claude Code through the server, as a share of Claude Code straight at the API (3 tool round trips). */
  claudeClientShare: 1.1,
  /** A 4-turn Claude Code session through the server ÷ straight (issue 30's goals). */
  sessionFirstTurn: 1.5,
  sessionResumedTurns: 1.3,
  sessionCost: 1.1,
  /** A key on its own login ÷ a key on the server's login, p50 (issue 31). */
  ownLogin: 1.1,
  /** `/llm/chat` through the CLI with tracing on ÷ off, p50 (issue 33). */
  tracedChat: 1.1,
}

const goals: Array<{ name: string; value: string; goal: string; ok: boolean }> = []
const check = (name: string, value: number, unit: string, goal: string, ok: boolean) =>
  goals.push({ name, value: `${value.toFixed(unit === '×' ? 2 : 1)} ${unit}`.trim(), goal, ok })

/** Progress on stderr: the whole run takes minutes. */
const stage = (name: string) => console.error(`bench: ${name}…`)

stage('HTTP layer overhead')
const http = await httpOverhead()
check(
  'HTTP layer p95 latency (one at a time)',
  http.p95,
  'ms',
  `≤ ${GOALS.overheadP95Ms} ms`,
  http.p95 <= GOALS.overheadP95Ms
)
check(
  'HTTP layer throughput (20 in flight)',
  http.rps,
  'req/s',
  `≥ ${GOALS.overheadRps}`,
  http.rps >= GOALS.overheadRps
)

// Streaming first, while this process (the client) holds little: a collection of its own would
// be counted as the server's delay.
const streamsHome = await tempDir('bench-streams')
;(globalThis as { gc?: () => void }).gc?.()
stage('server memory with 100 open streams')
const streams = await rssWithOpenStreams(100)
check(
  'server RSS with 100 open streams (no CLI processes)',
  streams.open,
  'MiB',
  `≤ ${GOALS.streamsRssMiB} MiB`,
  streams.open <= GOALS.streamsRssMiB
)
// The goal is the delay the server adds to a chunk; 4 streams at once also wait for each other
// (their lines arrive together), which the table shows beside it.
stage('per-chunk delay')
const delay = await chunkDelays(streamsHome, 1, 1_000)
const delay4 = await chunkDelays(streamsHome, 4, 250)
check(
  'delay from a CLI line to the client, p99 (one stream)',
  delay.p99,
  'ms',
  `≤ ${GOALS.chunkDelayP99Ms} ms`,
  delay.p99 <= GOALS.chunkDelayP99Ms
)
await removeDir(streamsHome)

const mock = await startMockAnthropic()
const home = await tempDir('bench')
stage('direct CLI calls against the server, cold, started ahead and reused')
const { results: modes, leftover } = await compareModes(home, mock.url)
const [direct, , , defaults] = modes as [ModeResult, ModeResult, ModeResult, ModeResult]
const share = (a: number, b: number) => a / b
check(
  'p50, defaults (reuse after /clear) ÷ direct cold call',
  share(defaults.p50, direct.p50),
  '×',
  `≤ ${GOALS.p50ShareReuse}`,
  share(defaults.p50, direct.p50) <= GOALS.p50ShareReuse
)
check(
  '8 at once, defaults ÷ 8 direct cold calls at once',
  share(defaults.wall8, direct.wall8),
  '×',
  `≤ ${GOALS.wall8Share}`,
  share(defaults.wall8, direct.wall8) <= GOALS.wall8Share
)
check('CLI processes left after shutdown', leftover, '', '0', leftover === 0)

stage('Claude Code as a client: through the server and straight at the API')
const client = await claudeCodeAsClient(join(home, 'client'))
check(
  'Claude Code, 3 tool round trips, p50: through the server ÷ straight at the API',
  share(client.server, client.direct),
  '×',
  `≤ ${GOALS.claudeClientShare}`,
  share(client.server, client.direct) <= GOALS.claudeClientShare
)

stage('a Claude Code session: four turns, through the server and straight at the API')
const session = await claudeCodeSession(join(home, 'session'))
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
const resumed = session.turns.slice(1)
const sessionShares = {
  first: share(session.turns[0]?.server ?? 0, session.turns[0]?.direct ?? 1),
  resumed: share(sum(resumed.map((t) => t.server)), sum(resumed.map((t) => t.direct))),
  cost: share(
    sum(session.turns.map((t) => t.serverCost)),
    sum(session.turns.map((t) => t.directCost))
  ),
}
for (const [name, value, goal] of [
  ['first turn', sessionShares.first, GOALS.sessionFirstTurn],
  ['resumed turns', sessionShares.resumed, GOALS.sessionResumedTurns],
  ['upstream cost', sessionShares.cost, GOALS.sessionCost],
] as const) {
  check(
    `Claude Code session, ${name}: through the server ÷ straight`,
    value,
    '×',
    `≤ ${goal}`,
    value <= goal
  )
}

stage("keys on their own login and on the server's")
const logins = {
  ...(await ownLoginLatency(join(home, 'logins'), mock.url)),
  claimed: await claimedLatency(join(home, 'claim'), mock.url),
}
check(
  "a key on its own login ÷ a key on the server's login, p50",
  share(logins.own, logins.server),
  '×',
  `≤ ${GOALS.ownLogin}`,
  share(logins.own, logins.server) <= GOALS.ownLogin
)

stage('tracing off and on')
const tracing = await tracingCost(join(home, 'tracing'), mock.url)
check(
  'HTTP layer p95 with tracing off (the default)',
  tracing.http.off.p95,
  'ms',
  `≤ ${GOALS.overheadP95Ms} ms`,
  tracing.http.off.p95 <= GOALS.overheadP95Ms
)
check(
  '/llm/chat through the CLI, tracing on ÷ off, p50',
  share(tracing.chat.on, tracing.chat.off),
  '×',
  `≤ ${GOALS.tracedChat}`,
  share(tracing.chat.on, tracing.chat.off) <= GOALS.tracedChat
)

const env = cliEnv(home, mock.url)
const version = await readClaudeVersion(resolveClaudeBinary(env)?.path ?? 'claude', env)
await mock.close()
await removeDir(home)

stage('input that could block the event loop')
const input = inputBlocking()
for (const row of input.rows) {
  check(
    `${row.name}: event loop blocked`,
    row.ms,
    'ms',
    `≤ ${GOALS.inputBlockMs} ms`,
    row.ms <= GOALS.inputBlockMs
  )
}

for (const g of goals)
  console.log(`${g.ok ? 'ok  ' : 'MISS'}  ${g.name}: ${g.value} (goal ${g.goal})`)

// The record of this run: JSON for tools, tables for people, with the machine it ran on.
const machine = {
  cpu: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  os: `${platform()} ${release()}`,
  node: process.version,
  cli: version ?? 'unknown',
  date: new Date().toISOString(),
}
const ms = (value: number) => `${Math.round(value)} ms`
const modeRows = modes.map(
  (m) =>
    `| ${m.name} | ${ms(m.p50)} | ${ms(m.p90)} | ${share(m.p50, direct.p50).toFixed(2)} | ${ms(m.wall8)} | ${share(m.wall8, direct.wall8).toFixed(2)} | ${ms(m.wall32)} | ${m.cpuPerRequest.toFixed(2)} |`
)
const docs = fileURLToPath(new URL('../docs/', import.meta.url))
await mkdir(docs, { recursive: true })
await writeFile(
  join(docs, 'benchmarks.json'),
  `${JSON.stringify({ machine, modes, client, session, logins, tracing, streams, delay, delay4, http, input, goals }, null, 2)}\n`
)
await writeBenchCharts(docs, { modes, streams, date: machine.date })
// The soaks' sections (npm run soak, and with --postgres) stay as they were.
const soak = await sectionOf(join(docs, 'benchmarks.md'), 'soak')
const soakPostgres = await sectionOf(join(docs, 'benchmarks.md'), 'soak-postgres')
await writeFile(
  join(docs, 'benchmarks.md'),
  [
    '# Benchmarks',
    '',
    "Written by `npm run bench` (scripts/bench.ts): the real CLI against the project's mock",
    'Messages API on 127.0.0.1, every figure from one run, side by side. On a shared machine the',
    'absolute numbers move between runs; compare within a run (the goals are ratios for that).',
    '',
    `Machine: ${machine.cpu}, ${machine.memory}, ${machine.os}, Node ${machine.node},`,
    `Claude Code ${machine.cli}, ${machine.date}.`,
    '',
    '## The same chat, four ways',
    '',
    `![Median latency per mode](${CHARTS.latency})`,
    '',
    `![Requests at once](${CHARTS.concurrency})`,
    '',
    'One prompt per request (`/llm/chat`, haiku, one turn). Sequential requests are a second apart,',
    "as a person's are; then 8 and 32 sent at once. CPU is the whole machine's work per request in",
    'the 8-at-once batch: the CLI processes (those started ahead or reset because of it included)',
    'and this process, which holds both the server and the client.',
    '',
    '| Mode | p50 | p90 | p50 ÷ direct | 8 at once | ÷ direct | 32 at once | CPU-s / request |',
    '|---|---|---|---|---|---|---|---|',
    ...modeRows,
    '',
    '## Claude Code as a client',
    '',
    'Claude Code itself (the pinned binary, an empty home) runs a prompt on which the model calls',
    'its Bash three times (run on its side), then answers: straight at the mock, and through the',
    'server, whose own CLI talks to the mock while the run waits for each result. Sequential runs,',
    `alternating, ${client.runs} of each after a warm-up, each after a person's pause (1.5 s, once the`,
    'server starts nothing in the background). Each run is a new conversation, which starts in the',
    "process that held the one before, reset by /clear on the run's path (~0.1 s).",
    '',
    '| Path | p50 | ÷ straight |',
    '|---|---|---|',
    `| straight at the API | ${ms(client.direct)} | 1.00 |`,
    `| through the server | ${ms(client.server)} | ${share(client.server, client.direct).toFixed(2)} |`,
    '',
    '## A Claude Code session',
    '',
    'Four turns of Claude Code as a client: the first runs its Bash once, turns 2–4 are',
    '`claude -p … --resume`, the third runs its Read. Straight at the mock and through the server,',
    `alternating, ${session.sessions} sessions of each after a warm-up; each turn after a person's pause`,
    "(as above); wall time includes the client's own start. Upstream cost is what the mock's prompt cache reports, as input + 1.25 × cache",
    'writes + 0.1 × cache reads (tokens), per session.',
    '',
    '| Turn | straight | through | ÷ | cost straight | cost through | ÷ |',
    '|---|---|---|---|---|---|---|',
    ...session.turns.map(
      (t, i) =>
        `| ${i + 1} | ${ms(t.direct)} | ${ms(t.server)} | ${share(t.server, t.direct).toFixed(2)} | ${Math.round(t.directCost)} | ${Math.round(t.serverCost)} | ${share(t.serverCost, t.directCost).toFixed(2)} |`
    ),
    '',
    ...loginsSection(logins),
    ...tracingSection(tracing),
    '## Streaming',
    '',
    `![Memory with open streams](${CHARTS.memory})`,
    '',
    `- Server RSS (its own process, no CLI processes): ${streams.idle.toFixed(1)} MiB idle, ${streams.open.toFixed(1)} MiB with 100 open streams.`,
    `- From a CLI stdout line to the client's byte, a line every 10 ms: one stream (${delay.count} chunks) p50 ${delay.p50.toFixed(2)} ms, p99 ${delay.p99.toFixed(2)} ms; 4 streams at once (${delay4.count} chunks) p50 ${delay4.p50.toFixed(2)} ms, p99 ${delay4.p99.toFixed(2)} ms.`,
    '',
    '## Goals',
    '',
    '| Measure | Value | Goal | |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.name} | ${g.value} | ${g.goal} | ${g.ok ? 'ok' : 'missed'} |`),
    '',
    `Request body of 20 MiB in one image string, plain parse for scale: ${input.scale.toFixed(1)} ms.`,
    '',
    ...(soak ? [soak] : []),
    ...(soakPostgres ? [soakPostgres] : []),
  ].join('\n')
)
process.exit(goals.every((g) => g.ok) ? 0 : 1)
