/**
 * `claude-code-api logins`: the Claude logins keys may be bound to, each person's own
 * subscription (docs/operations.md). A token is read from standard input, never from the command
 * line, and is never printed.
 */
import { parseArgs } from 'node:util'
import type { Quota } from '../contract/quota.js'
import { UsageError } from '../errors/index.js'
import { loginFilesOf } from '../runtime/node/config.js'
import { createLoginStore } from '../runtime/node/logins/login-store.js'
import { printTable } from './table.js'

export const LOGINS_HELP = `Usage:
  claude-code-api logins add NAME [--replace] < token   (a token from \`claude setup-token\`)
  claude-code-api logins list
  claude-code-api logins remove NAME
  claude-code-api logins rotate-secret [--new-secret-stdin]

Options:
  --logins-file PATH   the sealed logins (default: CLAUDE_LOGINS_FILE, else ./.claude-logins)

Tokens are sealed (AES-256-GCM) under CLAUDE_LOGINS_SECRET, else under a secret file made on
first use (CLAUDE_LOGINS_SECRET_FILE, default: the logins file + .secret, mode 0600).
Bind a key with \`keys create --login NAME\` or \`keys login HASH_PREFIX NAME\`.
A key bound to a login runs only on it: never on another login, nor on the server's own.
rotate-secret seals every token again: under a new secret file, or, with --new-secret-stdin,
under the secret read from stdin (then set CLAUDE_LOGINS_SECRET to it and restart).`

/** `rejected · five_hour 100% (resets …) · seven_day 40%`, or `-` before any report. */
const describeQuota = (quota: Quota | null | undefined) => {
  if (!quota) return '-'
  const windows = Object.entries(quota.windows).map(
    ([name, w]) =>
      `${name} ${Math.round(w.utilization * 100)}%${w.resets_at ? ` (resets ${w.resets_at})` : ''}`
  )
  return [quota.status, ...windows].join(' · ')
}

const readStdin = async () => {
  if (process.stdin.isTTY) {
    process.stderr.write('Paste the token, then press Enter and Ctrl-D:\n')
  }
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').trim()
}

export const loginsCommand = async (argv: string[], env: NodeJS.ProcessEnv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'logins-file': { type: 'string' },
      replace: { type: 'boolean' },
      'new-secret-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const [action, ...rest] = positionals
  if (values.help || !action) {
    console.log(LOGINS_HELP)
    if (!action && !values.help) throw new UsageError('logins needs an action: add, list, remove')
    return
  }
  const files = loginFilesOf(env, values['logins-file'])
  const store = createLoginStore(files)
  const oneName = () => {
    if (rest.length !== 1 || !rest[0]) throw new UsageError(`logins ${action} takes one NAME`)
    return rest[0]
  }
  switch (action) {
    case 'add': {
      const name = oneName()
      const token = await readStdin()
      if (!token)
        throw new UsageError('no token on stdin (pipe the output of `claude setup-token`)')
      await store.add(name, token, values.replace === true)
      console.log(`Added login ${name} (sealed in ${files.file})`)
      return
    }
    case 'list': {
      const logins = await store.list()
      if (values.json) return console.log(JSON.stringify(logins, null, 2))
      if (logins.length === 0) return console.log(`No logins in ${files.file}`)
      printTable(
        ['NAME', 'ADDED', 'LAST USED', 'QUOTA (as last seen)'],
        logins.map((l) => [l.name, l.added, l.last_used ?? '-', describeQuota(l.quota)])
      )
      return
    }
    case 'remove': {
      const name = oneName()
      if (!(await store.remove(name))) throw new UsageError(`no login named ${name}`)
      console.log(`Removed login ${name}; keys bound to it are refused (login_missing)`)
      return
    }
    case 'rotate-secret': {
      const next = values['new-secret-stdin'] ? await readStdin() : undefined
      const { secretInFile } = await store.rotateSecret(next)
      console.log(
        secretInFile
          ? `Sealed every login again under a new secret in ${files.secret.file}`
          : 'Sealed every login again: set CLAUDE_LOGINS_SECRET to the new secret, then restart'
      )
      return
    }
    default:
      throw new UsageError(`unknown logins action "${action}" (add, list, remove, rotate-secret)`)
  }
}
