import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir } from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockHandler,
  toolResultsOf,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { clientFolder, runClaudeClient } from '../helpers/claude-client.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

let stack: TestStack
let key: string
let client: string
let project: string
beforeAll(async () => {
  const folder = await clientFolder('claude-client', 'CLIENT-FILE-CONTENT', { daily_usd: 5 })
  ;({ dir: client, project, key } = folder)
  stack = await startTestStack({ keysFile: folder.keysFile })
})
afterAll(async () => {
  await stack?.close()
  await removeDir(client)
})
beforeEach(() => stack.mock.reset())

/** Claude Code, pointed at the server, with nothing of this machine's login. */
const claude = (args: string[]) =>
  runClaudeClient({ url: stack.url, dir: client, cwd: project, key }, args)

/** The server's model: reads the client's file, runs a command there, then says what it saw. */
const readThenBash: MockHandler = (request) => {
  const offered = (request.body.tools ?? []).map((t) => t.name)
  const results = toolResultsOf(request.body)
  const said = JSON.stringify(request.body.messages)
  if (!offered.includes('mcp__client__Read')) {
    return { kind: 'text', text: `ECHO: ${userText(lastUserMessage(request.body))}` }
  }
  if (results.length === 0) {
    return {
      kind: 'tool',
      name: 'mcp__client__Read',
      input: { file_path: join(project, 'notes.txt') },
    }
  }
  if (!said.includes('BASH-RAN-ON-CLIENT')) {
    return {
      kind: 'tool',
      name: 'mcp__client__Bash',
      input: { command: 'echo BASH-RAN-ON-CLIENT', description: 'Say where it runs' },
    }
  }
  const saw = ['CLIENT-FILE-CONTENT', 'BASH-RAN-ON-CLIENT'].filter((s) => said.includes(s))
  return { kind: 'text', text: `Saw: ${saw.join(' and ')}` }
}

describe('Claude Code as a client', () => {
  it('gets an answer through its key', async () => {
    const run = await claude(['What is 2+2?', '--output-format', 'json', '--model', 'haiku'])
    expect(run.stderr).not.toMatch(/API Error/)
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({ is_error: false, result: 'ECHO: What is 2+2?' })
  })

  it('runs its own Read and Bash, and their results reach the model in the same run', async () => {
    stack.mock.setHandler(readThenBash)
    const run = await claude([
      'Look at notes.txt, then run a command',
      '--output-format',
      'json',
      '--model',
      'haiku',
      '--allowedTools',
      'Read,Bash(echo:*)',
    ])
    const out = JSON.parse(run.stdout)
    expect(out.result).toBe('Saw: CLIENT-FILE-CONTENT and BASH-RAN-ON-CLIENT')
    // Three model calls on the server's side, one conversation: the results continued the
    // waiting run, never started over.
    const calls = stack.mock.messageRequests()
    expect(calls).toHaveLength(3)
    expect(new Set(calls.map((c) => JSON.stringify(c.body.messages?.[0])))).toHaveProperty(
      'size',
      1
    )
    const status = await fetch(`${stack.url}/llm/status`, {
      headers: { authorization: `Bearer ${key}` },
    })
    expect((await status.json()).processes.parked).toBe(0)
  })

  it('--resume sends the earlier conversation, and it reaches the model as real turns', async () => {
    const first = JSON.parse(
      (await claude(['Remember the word ZEBRA', '--output-format', 'json', '--model', 'haiku']))
        .stdout
    )
    stack.mock.reset()
    const second = await claude([
      'Which word?',
      '--output-format',
      'json',
      '--model',
      'haiku',
      '--resume',
      first.session_id,
    ])
    expect(JSON.parse(second.stdout).result).toBe('ECHO: Which word?')
    const messages = stack.mock.messageRequests().at(-1)?.body.messages ?? []
    const turns = messages.filter((m) => m.role !== 'system')
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])
    expect(JSON.stringify(turns[0])).toContain('Remember the word ZEBRA')
    expect(JSON.stringify(turns[1])).toContain('ECHO: Remember the word ZEBRA')
  })

  it('--thinking enabled streams the thinking back', async () => {
    const run = await claude([
      'think: what is 2+2?',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'haiku',
      '--thinking',
      'enabled',
    ])
    const lines = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
    const blocks = lines
      .filter((l) => l.type === 'assistant')
      .flatMap((l) => l.message.content as Array<{ type: string; thinking?: string }>)
    expect(blocks.find((b) => b.type === 'thinking')?.thinking).toBe(
      'Thinking about: think: what is 2+2?'
    )
    expect(lines.at(-1)).toMatchObject({ type: 'result', result: 'ECHO: think: what is 2+2?' })
  })
})
