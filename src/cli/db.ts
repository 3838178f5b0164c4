/** `claude-code-api db migrate`: brings the shared PostgreSQL store's schema up to this version. */
import { parseArgs } from 'node:util'
import { ConfigError, UsageError } from '../errors/index.js'
import { databaseUrlOf } from '../runtime/node/config.js'
import { isUnreachable, openDatabase, redactUrl } from '../runtime/node/postgres/database.js'
import { migrate, SCHEMA_VERSION } from '../runtime/node/postgres/migrations.js'

export const DB_HELP = `Usage:
  claude-code-api db migrate [--database-url URL]

Brings the schema of the PostgreSQL database front doors share up to this version (schema
${SCHEMA_VERSION}). Front doors also do it when they start; run it ahead of a deploy to do it once.

Options (environment variable in brackets):
  --database-url URL  postgres://user:password@host:port/database [DATABASE_URL]
  -h, --help          this help`

export const dbCommand = async (argv: string[], env: NodeJS.ProcessEnv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help || positionals.length === 0) return console.log(DB_HELP)
  if (positionals[0] !== 'migrate' || positionals.length > 1) {
    throw new UsageError(`unknown db command "${positionals.join(' ')}"`)
  }
  const url = databaseUrlOf({ DATABASE_URL: values['database-url'] ?? env.DATABASE_URL })
  if (!url) throw new ConfigError('db migrate needs DATABASE_URL or --database-url')
  const db = openDatabase(url, { connectTimeoutS: 10 })
  try {
    const applied = await migrate(db.sql).catch((error) => {
      if (!isUnreachable(error)) throw error
      throw new ConfigError(`${redactUrl(url)} cannot be reached: ${(error as Error).message}`)
    })
    console.log(
      applied.length > 0
        ? `${redactUrl(url)}: applied ${applied.map((v) => `#${v}`).join(', ')}; schema ${SCHEMA_VERSION}`
        : `${redactUrl(url)}: already at schema ${SCHEMA_VERSION}`
    )
  } finally {
    await db.close()
  }
}
