/**
 * Claude Code itself as a client of the server: the pinned binary (or CLAUDE_BIN's under
 * `npm run canary`) in its own empty HOME, `ANTHROPIC_BASE_URL` at the server and a `cca_` key
 * as its credential: an API key, or an OAuth token (then it reads the plan's limits).
 */
import { join } from 'node:path'
import { resolveClaudeBinary } from '../../src/adapters/node/process/binary.js'
import { runCommand } from './run-cli.js'

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
