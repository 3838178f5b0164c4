#!/usr/bin/env node
/**
 * The `claude-code-api` command: serve, keys, status, chat.
 */
import { parseArgs } from 'node:util'
import { createNodeRunner } from '../adapters/node.js'
import { KeysFileError } from '../adapters/node-keys-file.js'
import { VERSION } from '../version.js'
import { CHAT_HELP, chatCommand } from './cli-chat.js'
import { UsageError } from './cli-errors.js'
import { KEYS_HELP, keysCommand } from './cli-keys.js'
import { ConfigError, loadConfig } from './config.js'
import { startRunnerHost, startServer } from './node.js'

const HELP = `claude-code-api ${VERSION}: Claude through the Claude Code CLI, as an HTTP API.

Usage:
  claude-code-api serve [--host HOST] [--port PORT] [--keys-file PATH] [--log-level LEVEL]
  claude-code-api runner [--host HOST] [--port PORT] [--log-level LEVEL]
  claude-code-api keys create|list|revoke|rotate …
  claude-code-api status [--json]
  claude-code-api chat [--model MODEL] [--url URL --key KEY]
  claude-code-api --help | --version

Commands:
  serve    start the HTTP API (default 127.0.0.1:7742)
  runner   start a runner host for an edge front door (default 127.0.0.1:7743, RUNNER_TOKEN)
  keys     manage API keys (see: claude-code-api keys --help)
  status   is the Claude Code CLI installed, which version, is it logged in
  chat     chat in the terminal (local CLI, or a server with --url)

Every setting can also come from the environment; see the README's configuration table.`

const SERVE_HELP = `Usage:
  claude-code-api serve [--host HOST] [--port PORT] [--keys-file PATH] [--log-level LEVEL]

Options (environment variable in brackets):
  --host HOST         address to listen on [HOST] (default 127.0.0.1)
  --port PORT         port [PORT] (default 7742)
  --keys-file PATH    API keys file [API_KEYS_FILE] (default ./.api-keys)
  --log-level LEVEL   debug, info, warn, error or silent [LOG_LEVEL] (default info)
  -h, --help          this help

Without API keys the server only listens on a loopback address.`

const RUNNER_HELP = `Usage:
  claude-code-api runner [--host HOST] [--port PORT] [--log-level LEVEL]

Serves this machine's Claude Code CLI to front doors (e.g. the Cloudflare Worker) over the
runner protocol (POST /runner/v1/runs). Callers must send RUNNER_TOKEN as a Bearer token; the
host refuses to listen on a non-loopback address without one.

Options (environment variable in brackets):
  --host HOST         address to listen on [HOST] (default 127.0.0.1)
  --port PORT         port [PORT] (default 7743)
  --log-level LEVEL   [LOG_LEVEL] (default info)
  -h, --help          this help`

const STATUS_HELP = `Usage:
  claude-code-api status [--json]

Exit code 0 when the CLI is installed and logged in, 1 otherwise.`

/**
 * The flags `serve` and `runner` share, read into the server configuration (flags win over the
 * environment). Returns undefined after printing help.
 */
const listenConfig = (
  argv: string[],
  help: string,
  { keysFile = false, defaultPort = '7742' } = {}
) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      ...(keysFile && { 'keys-file': { type: 'string' as const } }),
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(help)
    return undefined
  }
  if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`)
  const keys = values['keys-file']
  return loadConfig({
    ...process.env,
    PORT: (values.port as string | undefined) ?? process.env.PORT ?? defaultPort,
    ...(values.host !== undefined && { HOST: values.host as string }),
    ...(typeof keys === 'string' && { API_KEYS_FILE: keys }),
    ...(values['log-level'] !== undefined && { LOG_LEVEL: values['log-level'] as string }),
  })
}

const serveCommand = async (argv: string[]) => {
  const config = listenConfig(argv, SERVE_HELP, { keysFile: true })
  if (!config) return
  const server = await startServer(config)
  if (config.logLevel === 'silent') console.log(`claude-code-api listening on ${server.url}`)
  stopOnSignals(server)
}

const runnerCommand = async (argv: string[]) => {
  const config = listenConfig(argv, RUNNER_HELP, { defaultPort: '7743' })
  if (!config) return
  const host = await startRunnerHost({ ...config, token: process.env.RUNNER_TOKEN || undefined })
  if (config.logLevel === 'silent') console.log(`claude-code-api runner host on ${host.url}`)
  stopOnSignals(host)
}

/** SIGINT/SIGTERM: stop the runs (no CLI process left behind), then exit. */
const stopOnSignals = (server: { close(): Promise<void> }) => {
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await server.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

const statusCommand = async (argv: string[]) => {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) return console.log(STATUS_HELP)
  const status = await createNodeRunner().status()
  if (values.json) {
    console.log(JSON.stringify(status, null, 2))
  } else {
    console.log(
      status.available
        ? `Claude Code CLI: ${status.version} (${status.binary_source}: ${status.binary_path})`
        : `Claude Code CLI: not available${status.binary_path ? ` (${status.binary_path} did not run)` : ' (not installed)'}`
    )
    console.log(
      `Logged in: ${status.logged_in === null ? 'unknown' : status.logged_in ? `yes (${status.auth_method})` : 'no (run `claude auth login` or set CLAUDE_CODE_OAUTH_TOKEN)'}`
    )
  }
  process.exitCode = status.available && status.logged_in ? 0 : 1
}

const main = async () => {
  const [command, ...rest] = process.argv.slice(2)
  switch (command) {
    case 'serve':
      return serveCommand(rest)
    case 'runner':
      return runnerCommand(rest)
    case 'keys':
      return keysCommand(rest, process.env)
    case 'status':
      return statusCommand(rest)
    case 'chat':
      return chatCommand(rest, process.env)
    case '--version':
    case '-v':
      return console.log(VERSION)
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return console.log(rest[0] === 'keys' ? KEYS_HELP : rest[0] === 'chat' ? CHAT_HELP : HELP)
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code
  if (error instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`claude-code-api: ${(error as Error).message} (see --help)`)
    process.exit(2)
  }
  if (error instanceof ConfigError || error instanceof KeysFileError) {
    console.error(`claude-code-api: ${error.message}`)
    process.exit(error instanceof ConfigError ? 2 : 1)
  }
  if (code === 'EADDRINUSE') console.error('claude-code-api: the port is already in use (--port)')
  else if (code === 'EACCES')
    console.error('claude-code-api: not allowed to listen there, or to write the keys file')
  else console.error(error)
  process.exit(1)
})
