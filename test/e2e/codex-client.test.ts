/**
 * Codex CLI (`@openai/codex`, pinned) as a client of the server's Responses API, with a custom
 * provider and an empty CODEX_HOME: it answers a prompt, and runs its own `exec_command` on its
 * side, the output reaching the model through the waiting run (real CLI, mock Messages API).
 */
import { mkdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockHandler,
  toolResultsOf,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { runCommand } from '../helpers/run-cli.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

const CODEX = join(
  createRequire(import.meta.url).resolve('@openai/codex/package.json'),
  '..',
  'bin',
  'codex.js'
)

let stack: TestStack
let home: string
beforeAll(async () => {
  stack = await startTestStack()
  home = await tempDir('codex')
  await mkdir(join(home, 'codex'), { recursive: true })
  await mkdir(join(home, 'work'), { recursive: true })
})
afterAll(async () => {
  await stack?.close()
  await removeDir(home)
})
beforeEach(() => stack.mock.reset())

const codex = (prompt: string) =>
  runCommand(
    process.execPath,
    [
      CODEX,
      'exec',
      '--skip-git-repo-check',
      // Codex's own command sandbox is its business, not the server's: off for this echo (its
      // helper is not on the test's PATH).
      '--sandbox',
      'danger-full-access',
      '-c',
      'model_provider=cca',
      '-c',
      `model_providers.cca={name="cca",base_url="${stack.url}/v1",env_key="CCA_KEY",wire_api="responses"}`,
      '-c',
      'model=haiku',
      prompt,
    ],
    {
      cwd: join(home, 'work'),
      timeoutMs: 120_000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        CODEX_HOME: join(home, 'codex'),
        CCA_KEY: 'unused',
      },
      // Codex reads stdin when it is not a terminal: closed at once.
      input: '',
    }
  )

/** The model runs one command with Codex's exec_command (whatever its schema calls it), then says what it saw. */
const runsACommand: MockHandler = (request) => {
  const exec = (request.body.tools ?? []).find((t) => t.name === 'mcp__client__exec_command')
  const [result] = toolResultsOf(request.body)
  if (result)
    return { kind: 'text', text: `Saw: ${JSON.stringify(result.content).includes('CODEX-RAN')}` }
  if (!exec) return { kind: 'text', text: `ECHO: ${userText(lastUserMessage(request.body))}` }
  const schema = exec.input_schema as { properties?: Record<string, { type?: string }> }
  const cmd =
    schema.properties?.cmd?.type === 'array' ? ['bash', '-lc', 'echo CODEX-RAN'] : 'echo CODEX-RAN'
  return { kind: 'tool', name: exec.name, input: { cmd } }
}

describe('Codex CLI as a client (Responses API)', () => {
  it('is run here the way docs/sdk-compatibility.md tells people to', async () => {
    const { readFile } = await import('node:fs/promises')
    const doc = await readFile(new URL('../../docs/sdk-compatibility.md', import.meta.url), 'utf8')
    expect(doc).toContain('codex exec --skip-git-repo-check -c model_provider=cca')
    expect(doc).toContain(
      `model_providers.cca={name="cca",base_url="http://127.0.0.1:7742/v1",env_key="CCA_KEY",wire_api="responses"}`
    )
    expect(doc).toContain('-c model=haiku')
  })

  it('answers a prompt', async () => {
    const run = await codex('say hi')
    expect(run.stdout).toContain('ECHO:')
    expect(run.code).toBe(0)
  })

  it('runs its own exec_command on its side, and the output reaches the model', async () => {
    stack.mock.setHandler(runsACommand)
    const run = await codex('run a command')
    expect(run.stdout).toContain('Saw: true')
    expect(run.code).toBe(0)
  })
})
