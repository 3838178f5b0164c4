#!/usr/bin/env node
import { ConfigError, isClaudeError, KeysFileError, UsageError } from '../errors/index.js'
/**
 * The `claude-code-api` command: serve, keys, status, chat.
 */
import { VERSION } from '../lib/version.js'
import { CHAT_HELP, chatCommand } from './chat.js'
import { DB_HELP, dbCommand } from './db.js'
import { KEYS_HELP, keysCommand } from './keys.js'
import { LOGINS_HELP, loginsCommand } from './logins.js'
import { runnerCommand, serveCommand } from './serve.js'
import { statusCommand } from './status.js'

const HELP = `claude-code-api ${VERSION}: Claude through the Claude Code CLI, as an HTTP API.

Usage:
  claude-code-api serve [--host HOST] [--port PORT] [--keys-file PATH] [--log-level LEVEL]
  claude-code-api runner [--host HOST] [--port PORT] [--log-level LEVEL]
  claude-code-api keys create|list|revoke|rotate|login …
  claude-code-api logins add|list|remove|rotate-secret …
  claude-code-api db migrate [--database-url URL]
  claude-code-api status [--json]
  claude-code-api chat [--model MODEL] [--url URL --key KEY]
  claude-code-api --help | --version

Commands:
  serve    start the HTTP API (default 127.0.0.1:7742)
  runner   start a runner host for an edge front door (default 127.0.0.1:7743, RUNNER_TOKEN)
  keys     manage API keys (see: claude-code-api keys --help)
  logins   Claude logins keys may run on, one per person (see: claude-code-api logins --help)
  db       the PostgreSQL store several front doors share (see: claude-code-api db --help)
  status   is the Claude Code CLI installed, which version, is it logged in
  chat     chat in the terminal (local CLI, or a server with --url)

Every setting can also come from the environment; see docs/operations.md.`

/** `help keys` and the like: a command's own help. */
const COMMAND_HELP = new Map([
  ['keys', KEYS_HELP],
  ['logins', LOGINS_HELP],
  ['chat', CHAT_HELP],
  ['db', DB_HELP],
])

const main = async () => {
  const [command, ...rest] = process.argv.slice(2)
  switch (command) {
    case 'serve':
      return serveCommand(rest)
    case 'runner':
      return runnerCommand(rest)
    case 'keys':
      return keysCommand(rest, process.env)
    case 'logins':
      return loginsCommand(rest, process.env)
    case 'db':
      return dbCommand(rest, process.env)
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
      return console.log(COMMAND_HELP.get(rest[0] ?? '') ?? HELP)
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
  // A server's refusal (a wrong key, not an admin's): its words, not a stack.
  if (isClaudeError(error) && !(error instanceof ConfigError || error instanceof KeysFileError)) {
    console.error(`claude-code-api: ${error.message}`)
    process.exit(1)
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
