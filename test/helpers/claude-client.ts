/**
 * Claude Code itself as a client of the server: the pinned binary (or CLAUDE_BIN's under
 * `npm run canary`) in its own empty HOME, `ANTHROPIC_BASE_URL` at the server and a `cca_` key
 * as its credential: an API key, or an OAuth token (then it reads the plan's limits).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../../dev-tools/cli-env.js'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import type { KeyPolicy } from '../../src/auth/keys.js'
import { createKey } from '../../src/runtime/node/keys.js'
import { runCommand } from './run-cli.js'

/**
 * A folder of the client's own (`dir`, its HOME inside), its project with a `notes.txt` that
 * says `notes`, and a key named `name` in `keysFile` for it.
 */
export const clientFolder = async (name: string, notes: string, policy?: KeyPolicy) => {
  const dir = await tempDir(name)
  const project = join(dir, 'project')
  await mkdir(project, { recursive: true })
  await writeFile(join(project, 'notes.txt'), `${notes}\n`)
  const keysFile = join(dir, 'keys')
  const { key } = await createKey(keysFile, { name, policy })
  return { dir, project, keysFile, key }
}

export type ClaudeClient = {
  /** The server's URL. */
  url: string
  /** A folder of the client's own: its HOME is `home` inside. */
  dir: string
  /** Where it runs. */
  cwd: string
  key: string
  /** `oauth`: the key is its `CLAUDE_CODE_OAUTH_TOKEN`; else its `ANTHROPIC_API_KEY`. */
  as?: 'api-key' | 'oauth'
}

export const runClaudeClient = (client: ClaudeClient, args: string[]) => {
  const binary = resolveClaudeBinary(process.env)?.path as string
  const home = join(client.dir, 'home')
  return runCommand(binary, ['-p', ...args], {
    cwd: client.cwd,
    timeoutMs: 90_000,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ANTHROPIC_BASE_URL: client.url,
      ...(client.as === 'oauth'
        ? { CLAUDE_CODE_OAUTH_TOKEN: client.key }
        : { ANTHROPIC_API_KEY: client.key }),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      API_TIMEOUT_MS: '60000',
    },
    input: '',
  })
}

/** The JSON lines of a `--output-format stream-json --verbose` run. */
export const jsonLines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
