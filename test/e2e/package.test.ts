/**
 * The container's contents without a Docker engine: build the bundle, install it into an empty
 * directory with the Dockerfile's own `npm ci --omit=dev`, start it with the Dockerfile's command
 * and environment, and use it (real CLI, mock API). Also checks the deploy recipes agree.
 */
import { spawn } from 'node:child_process'
import { copyFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cliEnv,
  PINNED_VERSION,
  processesIn,
  removeDir,
  tempDir,
  waitFor,
  withoutCliBin,
} from '../../dev-tools/cli-env.js'
import { type MockAnthropic, startMockAnthropic } from '../../dev-tools/mock-anthropic/server.js'
import { buildWeb } from '../../scripts/build-web.js'
import { hashKey } from '../../src/auth/keys.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { runCommand } from '../helpers/run-cli.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KEY = 'cca_abcdefabcdefabcdefabcdefabcdef12'

/** The runtime stage of the Dockerfile: its RUN install command, ENV and CMD. */
const readDockerfile = async () => {
  const text = (await readFile(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8')).replace(
    /\\\n\s*/g,
    ' '
  )
  const runtime = text.slice(text.lastIndexOf('\nFROM '))
  const install = /^RUN (npm ci --omit=dev[^&\n]*)/m.exec(runtime)?.[1]?.trim()
  const env: Record<string, string> = {}
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, name, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g))
      env[name as string] = value as string
  }
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)?.[1] ?? '[]') as string[]
  return { install, env, cmd }
}

const run = (command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) =>
  runCommand(command, args, { timeoutMs: 170_000, ...options })

let dir: string
let mock: MockAnthropic
beforeAll(async () => {
  dir = await tempDir('package')
  mock = await startMockAnthropic()
})
afterAll(async () => {
  await mock?.close()
  await removeDir(dir)
})

describe('the production image contents', () => {
  // An install from scratch compiles better-sqlite3: two minutes alone, more beside other files.
  it('installs with npm ci --omit=dev, starts with the Dockerfile command, and serves', async () => {
    const docker = await readDockerfile()
    expect(docker.install).toMatch(/^npm ci --omit=dev/)
    expect(docker.env).toMatchObject({ MODE: 'serve', PORT: '7742' })

    const app = join(dir, 'app')
    const build = await run(
      join(ROOT, 'node_modules/.bin/tsup'),
      ['--out-dir', join(app, 'dist')],
      { cwd: ROOT }
    )
    expect(build.code, build.stdout + build.stderr).toBe(0)
    // The rest of `npm run build`: the chat page.
    await buildWeb(join(app, 'dist', 'web'))
    for (const file of ['package.json', 'package-lock.json'])
      await copyFile(join(ROOT, file), join(app, file))
    const [npm, ...npmArgs] = (docker.install ?? '').split(/\s+/)
    const install = await run(npm as string, npmArgs, { cwd: app, env: process.env })
    expect(install.code, install.stdout + install.stderr).toBe(0)

    const home = join(dir, 'home')
    // Only admin keys see where the CLI binary is.
    const admin = await createKey(join(dir, 'data/.api-keys'), { policy: { admin: true } })
    const child = spawn(docker.cmd[0] as string, docker.cmd.slice(1), {
      cwd: app,
      env: {
        // The image's own CLI, the pinned one (not a canary's CLAUDE_BIN).
        ...withoutCliBin(cliEnv(home, mock.url)),
        ...docker.env,
        // Tests bind loopback only, on a free port, with their own paths.
        HOST: '127.0.0.1',
        PORT: '0',
        CLAUDE_CONFIG_DIR: join(home, '.claude'),
        CLAUDE_WORK_DIR: join(dir, 'data/work'),
        API_KEYS_FILE: join(dir, 'data/.api-keys'),
        API_KEY_HASHES: await hashKey(KEY),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let logs = ''
    child.stderr.on('data', (d) => {
      logs += d
    })
    try {
      const url = await waitFor(() => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(logs)?.[1], {
        timeoutMs: 15_000,
      })
      expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok' })
      const chat = await fetch(`${url}/llm/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ prompt: 'from the image' }),
      })
      expect(chat.status).toBe(200)
      expect((await chat.json()).text).toBe('ECHO: from the image')
      const status = await (
        await fetch(`${url}/llm/status`, { headers: { authorization: `Bearer ${admin.key}` } })
      ).json()
      expect(status).toMatchObject({
        binary_source: 'package',
        version: expect.stringMatching(PINNED_VERSION),
      })
      expect(status.binary_path).toContain(app)
      const page = await fetch(`${url}/chat`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('aria-label="Message"')
    } finally {
      child.kill('SIGTERM')
      await new Promise((resolve) => child.once('close', resolve))
    }
    expect(child.exitCode).toBe(0)
    expect(await processesIn(join(dir, 'data'))).toEqual([])
  }, 420_000)
})

describe('deploy recipes', () => {
  it('compose and Kamal use the image env and hard-code no address', async () => {
    const compose = await readFile(join(ROOT, 'deploy/docker/compose.yaml'), 'utf8')
    const kamal = await readFile(join(ROOT, 'deploy/kamal/deploy.yml'), 'utf8')
    const secrets = await readFile(join(ROOT, 'deploy/kamal/secrets.example'), 'utf8')
    for (const name of [
      'CLAUDE_CODE_OAUTH_TOKEN',
      'API_KEY_HASHES',
      'RUNNER_TOKEN',
      'MODE: runner',
      'MODE: serve',
    ]) {
      expect(compose).toContain(name)
    }
    expect(kamal).toContain('path: /health')
    expect(kamal).toMatch(/- CLAUDE_CODE_OAUTH_TOKEN\n\s+- API_KEY_HASHES/)
    expect(secrets).toContain('CLAUDE_CODE_OAUTH_TOKEN=$CLAUDE_CODE_OAUTH_TOKEN')
    for (const text of [compose, kamal]) {
      const addresses = [...text.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)].map((m) => m[0])
      expect(addresses.filter((a) => a !== '0.0.0.0')).toEqual([])
    }
  })
})
