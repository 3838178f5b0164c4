/**
 * A Claude Code session side by side: four turns, the first running the client's Bash once,
 * turns 2–4 `--resume` (the third running its Read), straight at the mock and through the
 * server. Per turn: wall time (the client's own start included), p50 over the sessions; and the
 * upstream cost the mock's prompt cache says (input + 1.25 × cache writes + 0.1 × cache reads).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { MockAnthropic, MockHandler } from '../../dev-tools/mock-anthropic/server.js'
import { toolResultsOf } from '../../dev-tools/mock-anthropic/server.js'
import { pause, runClaude, startClaudeRig } from './claude-rig.js'
import { percentile } from './measure.js'

/** `TOOL <name> <input>`: the model calls the client's tool; anything else is echoed. */
const scripted: MockHandler = (request) => {
  const last = request.body.messages?.filter((m) => m.role === 'user').at(-1)
  const blocks = Array.isArray(last?.content)
    ? (last.content as Array<{ type?: string; text?: string }>)
    : [{ type: 'text', text: String(last?.content ?? '') }]
  const [result] = toolResultsOf(request.body)
  if (result) return { kind: 'text', text: `TOOL_RESULT: ${JSON.stringify(result.content)}` }
  const prompt = blocks.filter((b) => b.type === 'text').at(-1)?.text ?? ''
  const call = /^TOOL (\w+) (.*)$/s.exec(prompt)
  const tool = (request.body.tools ?? []).find(
    (t) => t.name === call?.[1] || t.name === `mcp__client__${call?.[1]}`
  )
  if (!call || !tool) return { kind: 'text', text: `ECHO: ${prompt}` }
  return { kind: 'tool', name: tool.name, input: JSON.parse(call[2] as string) }
}

const turnsIn = (cwd: string) => [
  'TOOL Bash {"command":"echo one","description":"Say one"}',
  'second turn',
  `TOOL Read {"file_path":"${join(cwd, 'notes.txt')}"}`,
  'fourth turn',
]

/** Upstream cost units of the mock's answers since `from` (its requests, in order). */
const costSince = (mock: MockAnthropic, from: number) =>
  mock
    .messageRequests()
    .slice(from)
    .reduce((sum, r) => {
      const u = r.usage
      return u
        ? sum +
            u.input_tokens +
            1.25 * u.cache_creation_input_tokens +
            0.1 * u.cache_read_input_tokens
        : sum
    }, 0)

type Rig = { binary: string; cwd: string; mock: MockAnthropic; serverUrl: string }

/** One four-turn session at `baseUrl`: each turn's wall time and upstream cost. */
const session = async (rig: Rig, baseUrl: string) => {
  const { binary, cwd, mock } = rig
  const turns: Array<{ ms: number; cost: number }> = []
  let sessionId: string | undefined
  for (const prompt of turnsIn(cwd)) {
    await pause(rig.serverUrl)
    const from = mock.messageRequests().length
    const args = [prompt, '--model=haiku', '--allowedTools=Bash(echo:*),Read']
    const turn = await runClaude(binary, cwd, baseUrl, [
      ...args,
      ...(sessionId ? ['--resume', sessionId] : []),
    ])
    if (turn.result.is_error !== false) {
      throw new Error(`A session turn failed: ${turn.out.slice(0, 300)}`)
    }
    sessionId = String(turn.result.session_id)
    turns.push({ ms: turn.ms, cost: costSince(mock, from) })
  }
  return turns
}

export type SessionResult = {
  sessions: number
  /** Per turn: p50 wall time straight and through, and cost units over all sessions. */
  turns: Array<{ direct: number; server: number; directCost: number; serverCost: number }>
}

export const claudeCodeSession = async (home: string, sessions = 3): Promise<SessionResult> => {
  const { binary, mock, server, close } = await startClaudeRig(home, scripted)
  const cwd = join(home, 'client')
  await mkdir(cwd, { recursive: true })
  await writeFile(join(cwd, 'notes.txt'), 'CLIENT NOTES\n')
  try {
    // A warm-up of each (the binary's first start reads it from disk), then alternating.
    const rig = { binary, cwd, mock, serverUrl: server.url }
    await session(rig, mock.url)
    await session(rig, server.url)
    const direct: Array<Array<{ ms: number; cost: number }>> = []
    const through: Array<Array<{ ms: number; cost: number }>> = []
    for (let i = 0; i < sessions; i++) {
      direct.push(await session(rig, mock.url))
      through.push(await session(rig, server.url))
    }
    const turns = direct[0]?.map((_, t) => ({
      direct: percentile(
        direct.map((s) => s[t]?.ms ?? 0),
        50
      ),
      server: percentile(
        through.map((s) => s[t]?.ms ?? 0),
        50
      ),
      directCost: direct.reduce((sum, s) => sum + (s[t]?.cost ?? 0), 0) / sessions,
      serverCost: through.reduce((sum, s) => sum + (s[t]?.cost ?? 0), 0) / sessions,
    }))
    return { sessions, turns: turns ?? [] }
  } finally {
    await close()
  }
}
