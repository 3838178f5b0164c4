/**
 * A key on its own Claude login against a key on the server's, on one server with its defaults:
 * the same prompt, alternating, a person's pace. The own login's process holds a stand-in token
 * and its calls go through the server's relay (src/adapters/node/process/model-relay.ts); the
 * other's go straight to the API.
 */
import { join } from 'node:path'
import { cliEnv } from '../../dev-tools/cli-env.js'
import { startServer } from '../../src/runtime/node/entry.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createLoginStore } from '../../src/runtime/node/logins/login-store.js'
import { percentile, sleep } from './measure.js'

const ROUNDS = 12

export type LoginsResult = { own: number; server: number; rounds: number }

export const ownLoginLatency = async (home: string, mockUrl: string): Promise<LoginsResult> => {
  const loginsFile = join(home, 'logins')
  await createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } }).add(
    'own',
    'sk-ant-oat01-bench-own-login'
  )
  const keysFile = join(home, 'keys')
  const own = (await createKey(keysFile, { name: 'own', policy: { login: 'own' } })).key
  const plain = (await createKey(keysFile, { name: 'plain' })).key
  const server = await startServer({
    port: 0,
    logLevel: 'silent',
    workDir: join(home, 'work'),
    keysFile,
    loginsFile,
    warmProcesses: 2,
    heldConversations: 4,
    runnerOptions: { env: cliEnv(home, mockUrl) },
  })
  const ask = async (key: string, i: number) => {
    const started = performance.now()
    const res = await fetch(`${server.url}/llm/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ prompt: `bench ${i}` }),
    })
    const body = await res.json()
    if (res.status !== 200) throw new Error(`status ${res.status}: ${JSON.stringify(body)}`)
    return performance.now() - started
  }
  try {
    const times = { own: [] as number[], server: [] as number[] }
    // Warm-up: each key's first run starts its processes.
    await ask(own, -1)
    await ask(plain, -2)
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating which goes first, so neither always follows the other's work.
      const order = i % 2 === 0 ? (['own', 'server'] as const) : (['server', 'own'] as const)
      for (const which of order) {
        await sleep(1_000)
        times[which].push(await ask(which === 'own' ? own : plain, i))
      }
    }
    return {
      own: percentile(times.own, 50),
      server: percentile(times.server, 50),
      rounds: ROUNDS,
    }
  } finally {
    await server.close()
  }
}

const ms = (value: number) => `${Math.round(value)} ms`

/** The section of docs/benchmarks.md, with the claimed spares (claim.ts) beside. */
export const loginsSection = (
  logins: LoginsResult & { claimed: { p50: number; runs: number } }
) => [
  "## Keys on their own login and on the server's",
  '',
  `\`/llm/chat\` on one server with its defaults, ${logins.rounds} runs of each key, alternating, a second`,
  "apart: a key on its own login (a stand-in token in its process, the login's put on by the",
  "server's relay) and a key on the server's login.",
  '',
  '| Key | p50 | ÷ server login |',
  '|---|---|---|',
  `| on the server's login | ${ms(logins.server)} | 1.00 |`,
  `| on its own login | ${ms(logins.own)} | ${(logins.own / logins.server).toFixed(2)} |`,
  `| a spare claimed with the login at run time (\`--await-claim\`, ${logins.claimed.runs} runs) | ${ms(logins.claimed.p50)} | ${(logins.claimed.p50 / logins.server).toFixed(2)} |`,
  '',
  'Hence processes per login: a claimed spare pays the claim and a first query on every run, a',
  "login's own process reused after `/clear` does not.",
  '',
]
