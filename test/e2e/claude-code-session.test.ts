import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processesIn, removeDir, waitFor } from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockHandler,
  toolResultsOf,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { SERVER_DEFAULTS } from '../../src/adapters/node/settings.js'
import { clientFolder, runClaudeClient } from '../helpers/claude-client.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'
import { blocksOfType, expectEachExtends, upstreamMessages } from '../helpers/upstream-turns.js'

let stack: TestStack
let key: string
let client: string
let project: string
let keysFile: string
beforeAll(async () => {
  // No budget: a budgeted run starts its own process (the CLI enforces its cap).
  ;({ dir: client, project, key, keysFile } = await clientFolder('claude-session', 'SESSION-NOTES'))
  // As `serve` runs: processes started ahead, reused, and holding conversations.
  stack = await startTestStack({ keysFile, ...SERVER_DEFAULTS })
  stack.mock.setHandler(scripted)
})
afterAll(async () => {
  await stack?.close()
  await removeDir(client)
})

/** `TOOL <name> <input>`: the model calls the client's tool; a tool's result is reported back. */
const scripted: MockHandler = (request) => {
  const [result] = toolResultsOf(request.body)
  if (result) return { kind: 'text', text: `RESULT: ${JSON.stringify(result.content)}` }
  const prompt = userText(lastUserMessage(request.body))
  const call = /TOOL (\w+) (\{.*\})/s.exec(prompt)
  const tool = (request.body.tools ?? []).find((t) => t.name === `mcp__client__${call?.[1]}`)
  if (!call || !tool) return { kind: 'text', text: `ECHO: ${prompt.split('\n').at(-1)}` }
  return { kind: 'tool', name: tool.name, input: JSON.parse(call[2] as string) }
}

const claude = (prompt: string, resume?: string) =>
  runClaudeClient({ url: stack.url, dir: client, cwd: project, key }, [
    prompt,
    '--output-format=json',
    '--model=haiku',
    '--allowedTools=Bash(echo:*),Read',
    ...(resume ? ['--resume', resume] : []),
  ])

const processes = async () => {
  const response = await fetch(`${stack.url}/llm/status`, {
    headers: { authorization: `Bearer ${key}` },
  })
  return (await response.json()).processes as Record<string, number>
}

describe('a Claude Code session through the server', () => {
  it('goes on in the process that holds it, the history as the client sent it', async () => {
    const turns = [
      'TOOL Bash {"command":"echo one","description":"Say one"}',
      'second turn',
      `TOOL Read {"file_path":"${join(project, 'notes.txt')}"}`,
      'fourth turn',
    ]
    const results: string[] = []
    let session: string | undefined
    for (const prompt of turns) {
      const run = await claude(prompt, session)
      const out = JSON.parse(run.stdout)
      expect(out.is_error, run.stdout).toBe(false)
      results.push(out.result)
      session = out.session_id
    }
    expect(results).toEqual([
      expect.stringContaining('one'),
      'ECHO: second turn',
      expect.stringContaining('SESSION-NOTES'),
      'ECHO: fourth turn',
    ])

    // One conversation at the model: every request extends the one before it.
    const requests = stack.mock.messageRequests()
    expect(requests).toHaveLength(6)
    expectEachExtends(requests)
    // The earlier tool calls are blocks, in their places, never text about them.
    const last = upstreamMessages(requests.at(-1))
    expect(blocksOfType(requests.at(-1), 'tool_use').map((b) => b.name)).toEqual([
      'mcp__client__Bash',
      'mcp__client__Read',
    ])
    expect(blocksOfType(requests.at(-1), 'tool_result')).toHaveLength(2)
    expect(JSON.stringify(last)).not.toMatch(/\[called tool|\[tool \w+ returned/)
    // The same system prompt throughout: nothing per run in the cached prefix.
    expect(new Set(requests.map((r) => JSON.stringify(r.body.system))).size).toBe(1)

    // Turns 2–4 went on in the process that held the conversation; none resumed cold.
    expect(await processes()).toMatchObject({ continued: 3, held: 1 })
  })

  it('starts each new conversation alike, so the prompt cache reads one for the next', async () => {
    const firsts = []
    for (let i = 0; i < 3; i++) {
      const from = stack.mock.messageRequests().length
      const run = await claude('TOOL Bash {"command":"echo one","description":"Say one"}')
      expect(JSON.parse(run.stdout).is_error, run.stdout).toBe(false)
      firsts.push(stack.mock.messageRequests()[from])
    }
    // Whether its process was reset by /clear or never used, the first message is the same.
    const [one, two, three] = firsts.map((r) => upstreamMessages(r)[0])
    expect(two).toEqual(one)
    expect(three).toEqual(one)
    expect(firsts.slice(1).map((r) => r?.usage?.cache_creation_input_tokens)).toEqual([0, 0])
    expect((await processes()).reused).toBeGreaterThan(0)
  })

  it('lets a held process go once the conversation has waited its time', async () => {
    const brief = await startTestStack({
      keysFile,
      heldConversations: 4,
      heldConversationMs: 1_000,
    })
    brief.mock.setHandler(scripted)
    try {
      const run = await runClaudeClient({ url: brief.url, dir: client, cwd: project, key }, [
        'TOOL Bash {"command":"echo one","description":"Say one"}',
        '--output-format=json',
        '--allowedTools=Bash(echo:*)',
      ])
      expect(JSON.parse(run.stdout).is_error).toBe(false)
      // Held for its next turn, then stopped: no process of it is left.
      await waitFor(async () => (await processesIn(brief.workDir)).length === 0, {
        timeoutMs: 10_000,
      })
      const status = await fetch(`${brief.url}/llm/status`, {
        headers: { authorization: `Bearer ${key}` },
      })
      expect((await status.json()).processes).toMatchObject({ held: 0, busy: 0, parked: 0 })
    } finally {
      await brief.close()
    }
  })
})
