/**
 * Granted tools confined (real CLI, mock API): file tools reach only the run's directory, Bash
 * runs only in a sandbox; the mock model asks for what an attacker would. Every test here
 * failed on the code before its fix.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  lastUserMessage,
  type MockHandler,
  userText,
} from '../../dev-tools/mock-anthropic/server.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

type ToolCall = { name: string; input: object }

/** A mock model that calls a tool once (chosen from the prompt), then answers "done". */
const callsToolOnce =
  (pick: (prompt: string) => ToolCall | undefined): MockHandler =>
  (request) => {
    const last = lastUserMessage(request.body)
    const answered =
      Array.isArray(last?.content) && last.content.some((block) => block?.type === 'tool_result')
    const call = answered ? undefined : pick(userText(last))
    return call ? { kind: 'tool', ...call } : { kind: 'text', text: 'done' }
  }

/** The tool results that reached the model: what a tool call gave away. */
const toolResults = (mock: TestStack['mock']) =>
  mock
    .messageRequests()
    .flatMap((r) => {
      const content = lastUserMessage(r.body)?.content
      return Array.isArray(content) ? (content as Array<{ type?: string; is_error?: boolean }>) : []
    })
    .filter((block) => block.type === 'tool_result')

describe('file tools reach only the run directory', () => {
  it("reads, searches and writes outside it are refused: keys, other keys' sessions, owners", async () => {
    const dir = await tempDir('confine')
    const keysFile = join(dir, 'keys')
    const policy = { tools: ['Read', 'Grep', 'Write'] }
    const a = await createKey(keysFile, { name: 'a', policy })
    const b = await createKey(keysFile, { name: 'b', policy })
    const keyed = await startTestStack({ keysFile, allowedTools: ['Read', 'Grep', 'Write'] })
    const outside = join(dir, 'outside.txt')
    await writeFile(outside, 'OUTSIDE-SECRET')
    const asB = (prompt: string, tools: string[]) =>
      keyed.post(
        '/llm/query',
        { prompt, allowed_tools: tools, max_turns: 3 },
        { headers: { 'content-type': 'application/json', authorization: `Bearer ${b.key}` } }
      )
    try {
      const kept = await keyed.post(
        '/llm/query',
        { prompt: 'A-PRIVATE-PHRASE', persist_session: true },
        { headers: { 'content-type': 'application/json', authorization: `Bearer ${a.key}` } }
      )
      const session = (await kept.json()).session_id as string
      const ownerFile = join(keyed.workDir, 'sessions', `${session}.owner`)
      const attacks: Record<string, { name: string; input: object }> = {
        'read the keys file': { name: 'Read', input: { file_path: keysFile } },
        'read outside': { name: 'Read', input: { file_path: outside } },
        'grep the config dir': {
          name: 'Grep',
          input: { pattern: 'A-PRIVATE-PHRASE', path: join(keyed.home, '.claude') },
        },
        'write an owner record': {
          name: 'Write',
          input: { file_path: ownerFile, content: b.record.hash },
        },
        'write inside': { name: 'Write', input: { file_path: 'note.txt', content: 'fine' } },
      }
      const attacker = callsToolOnce((prompt) => attacks[prompt])
      for (const [prompt, attack] of Object.entries(attacks)) {
        keyed.mock.reset()
        keyed.mock.setHandler(attacker)
        const res = await asB(prompt, [attack.name])
        expect(res.status, prompt).toBe(200)
        const [result] = toolResults(keyed.mock)
        const seen = JSON.stringify(result)
        if (prompt === 'write inside') {
          expect(result?.is_error, seen).toBeFalsy()
          continue
        }
        expect(result?.is_error, `${prompt}: ${seen}`).toBe(true)
        for (const secret of [a.record.hash, 'OUTSIDE-SECRET', 'A-PRIVATE-PHRASE', session]) {
          expect(seen, prompt).not.toContain(secret)
        }
      }
      expect(await readFile(ownerFile, 'utf8')).toBe(a.record.hash)
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 60_000)
})

describe('Bash runs only in a sandbox', () => {
  it('sees neither the keys file, nor the config directory, nor other runs; writes only its own', async () => {
    const dir = await tempDir('sandbox')
    const keysFile = join(dir, 'keys')
    const a = await createKey(keysFile, { name: 'a' })
    const b = await createKey(keysFile, { name: 'b', policy: { tools: ['Bash'] } })
    const keyed = await startTestStack({ keysFile, allowedTools: ['Bash'] })
    const json = (key: string) => ({
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    })
    // Not under /tmp: the sandbox has a /tmp of its own.
    const outsideNew = `/var/tmp/cca-created-by-bash-${process.pid}`
    try {
      await keyed.post(
        '/llm/query',
        { prompt: 'A-PRIVATE-PHRASE', persist_session: true },
        json(a.key)
      )
      const command = [
        `echo keys: $(cat ${keysFile})`,
        `echo config: $(grep -rl A-PRIVATE-PHRASE ${join(keyed.home, '.claude')})`,
        `echo work: $(ls ${join(keyed.workDir, 'sessions')})`,
        `touch ${outsideNew} 2>/dev/null || echo outside: refused`,
        'echo mine > mine.txt && echo inside: $(cat mine.txt)',
      ].join('; ')
      keyed.mock.setHandler(
        callsToolOnce(() => ({ name: 'Bash', input: { command, description: 'look around' } }))
      )
      const res = await keyed.post(
        '/llm/query',
        { prompt: 'look', allowed_tools: ['Bash'], max_turns: 3 },
        json(b.key)
      )
      expect(res.status).toBe(200)
      const [result] = toolResults(keyed.mock)
      const seen = JSON.stringify(result)
      expect(seen).toContain('keys: ')
      expect(seen).toContain('outside: refused')
      expect(seen).toContain('inside: mine')
      for (const secret of [a.record.hash, 'cca_', 'A-PRIVATE-PHRASE', '.jsonl']) {
        expect(seen).not.toContain(secret)
      }
      expect(seen).toContain(String.raw`config:\n`)
      expect(seen).toContain(String.raw`work:\n`)
      await expect(readFile(outsideNew)).rejects.toThrow()
    } finally {
      await keyed.close()
      await removeDir(dir)
    }
  }, 60_000)

  it('is refused with a 403 before anything runs where there is no sandbox', async () => {
    const open = await startTestStack({ allowedTools: ['Bash'], runnerOptions: { sandbox: null } })
    try {
      const res = await open.post('/llm/query', { prompt: 'ls', allowed_tools: ['Bash'] })
      expect(res.status).toBe(403)
      expect((await res.json()).detail).toMatch(
        /OS sandbox, which this server cannot make \(the operator turned the sandbox off\)/
      )
      expect(open.mock.messageRequests()).toHaveLength(0)
    } finally {
      await open.close()
    }
  })
})
