#!/usr/bin/env node
/**
 * The `claude-code-api` command. `serve` starts the HTTP server.
 */
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'
import { ConfigError, loadConfig } from './config.js'
import { startServer } from './node.js'

const HELP = `claude-code-api ${VERSION}

Usage:
  claude-code-api serve [--host HOST] [--port PORT] [--log-level LEVEL]
  claude-code-api --help | --version

Commands:
  serve     Start the HTTP API (default 127.0.0.1:7742; env HOST, PORT, LOG_LEVEL).

Every setting can also come from the environment; see the README's configuration table.
`

const fail = (message: string): never => {
  console.error(`claude-code-api: ${message}`)
  process.exit(2)
}

const serveCommand = async (argv: string[]) => {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return
  }
  const config = loadConfig({
    ...process.env,
    ...(values.host !== undefined && { HOST: values.host }),
    ...(values.port !== undefined && { PORT: values.port }),
    ...(values['log-level'] !== undefined && { LOG_LEVEL: values['log-level'] }),
  })
  const server = await startServer(config)
  if (config.logLevel === 'silent') console.log(`claude-code-api listening on ${server.url}`)
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

const main = async () => {
  const [command, ...rest] = process.argv.slice(2)
  switch (command) {
    case 'serve':
      return serveCommand(rest)
    case '--version':
    case '-v':
      console.log(VERSION)
      return
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(HELP)
      return
    default:
      fail(`unknown command "${command}" (see --help)`)
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof TypeError) fail(error.message)
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') fail('the port is already in use (set --port or PORT)')
  if (code === 'EACCES') fail('not allowed to listen on that address/port')
  console.error(error)
  process.exit(1)
})
