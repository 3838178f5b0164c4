/**
 * A command run by Bash, on a key's own login, tries to read the login's token as an attacker
 * would (real CLI, real bubblewrap): its own environment, and the CLI's, which the same user
 * may read at /proc/<pid>/environ. Before the token was put on the calls by the server's relay,
 * the second printed it. The run still reaches the API as that login (a mock that accepts only
 * its token).
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import {
  type MockAnthropic,
  startMockAnthropic,
  toolResultsOf,
} from '../../dev-tools/mock-anthropic/server.js'
import { STAND_IN_TOKEN } from '../../src/adapters/node/process/model-relay.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { createLoginStore } from '../../src/runtime/node/logins/login-store.js'
import { startTestStack, type TestStack } from '../helpers/test-stack.js'

const TOKEN = 'sk-ant-oat01-sandboxed-login-5c1e9a07d3'
let dir: string
let login: MockAnthropic
let stack: TestStack
let key: string
beforeAll(async () => {
  dir = await tempDir('logins-sandbox')
  const loginsFile = join(dir, 'logins')
  const store = createLoginStore({ file: loginsFile, secret: { file: `${loginsFile}.secret` } })
  await store.add('dana', TOKEN)
  const keysFile = join(dir, 'keys')
  key = (await createKey(keysFile, { name: 'dana', policy: { login: 'dana' } })).key
  login = await startMockAnthropic({ token: TOKEN })
  stack = await startTestStack({
    keysFile,
    loginsFile,
    allowedTools: ['Bash'],
    cliEnv: { ANTHROPIC_BASE_URL: login.url },
  })
}, 60_000)
afterAll(async () => {
  await stack?.close()
  await login?.close()
  await removeDir(dir)
})

describe("a key's login token", () => {
  it("is not in the CLI's environment, so a command cannot read it there", async () => {
    const command = 'env; echo ---; tr "\\0" "\\n" < /proc/$CLAUDE_PID/environ'
    login.setHandler((request) =>
      toolResultsOf(request.body).length > 0
        ? { kind: 'text', text: 'done' }
        : { kind: 'tool', name: 'Bash', input: { command, description: 'look around' } }
    )
    const res = await stack.post(
      '/llm/query',
      { prompt: 'look around', allowed_tools: ['Bash'], max_turns: 3 },
      { headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } }
    )
    expect(res.status).toBe(200)
    const seen = JSON.stringify(login.messageRequests().flatMap((r) => toolResultsOf(r.body)))
    // The command did read the CLI's environment: it holds only the stand-in.
    expect(seen).toContain(`CLAUDE_CODE_OAUTH_TOKEN=${STAND_IN_TOKEN}`)
    expect(seen).not.toContain(TOKEN)
    expect(login.refused).toEqual([])
  }, 60_000)
})
