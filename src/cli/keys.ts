/**
 * `claude-code-api keys …`: create, list, revoke and rotate API keys in the keys file, and bind
 * a key to a Claude login.
 */
import { parseArgs } from 'node:util'
import type { KeyPolicy, KeyRecord } from '../auth/keys.js'
import { UsageError } from '../errors/index.js'
import { DEFAULT_KEYS_FILE, loginFilesOf } from '../runtime/node/config.js'
import { createLoginStore } from '../runtime/node/logins/login-store.js'
import { type KeyRecords, openKeyRecords } from './key-records.js'
import { usageCommand } from './keys-usage.js'
import { printTable } from './table.js'

export const KEYS_HELP = `Usage:
  claude-code-api keys create [--name NAME] [--models a,b] [--tools a,b]
                              [--max-concurrent N] [--daily-usd USD] [--admin]
                              [--allow-overage] [--login NAME]
  claude-code-api keys login HASH_PREFIX NAME|--none
  claude-code-api keys list
  claude-code-api keys revoke HASH_PREFIX
  claude-code-api keys rotate HASH_PREFIX
  claude-code-api keys usage [--days N] [--json] [--usage-db PATH | --url URL [--key KEY]]

Options:
  --keys-file PATH   the keys file (default: API_KEYS_FILE, else ./.api-keys)
  --store STORE      file, or database: the keys in PostgreSQL, where every front door on it
                     hears of a change at once [API_KEYS_STORE]
  --database-url URL the database of --store database [DATABASE_URL]
  --usage-db PATH    the usage database (default: USAGE_DB, else <CLAUDE_WORK_DIR>/usage.db)
  --url URL          read /admin/usage from this server instead (an admin --key, or
                     CLAUDE_CODE_API_KEY; also an edge front door)
  --days N           days to list per day (default 30)
  -h, --help         this help

A key is shown once, when it is created or rotated; only its SHA-256 hash is stored.
--allow-overage: the key may run while the server's login spends paid extra usage (a window
used up, overage allowed); other keys are refused (429 overage_not_allowed) until it resets.
--login NAME: the key's runs use that Claude login (\`claude-code-api logins\`), and only it;
\`keys login\` changes it (--none: back to the server's login).
rotate keeps the key's name and policy. revoke and rotate refuse an ambiguous prefix.`

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)

const number = (flag: string, value: string | undefined, integer: boolean) => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isInteger(parsed))) {
    throw new UsageError(`${flag} must be a ${integer ? 'whole ' : ''}number above 0`)
  }
  return parsed
}

const describePolicy = (policy: KeyPolicy) => {
  const parts = [
    policy.models && `models=${policy.models.join(',')}`,
    policy.tools && `tools=${policy.tools.join(',')}`,
    policy.max_concurrent !== undefined && `max-concurrent=${policy.max_concurrent}`,
    policy.daily_usd !== undefined && `daily-usd=${policy.daily_usd}`,
    policy.admin && 'admin',
    policy.allow_overage && 'allow-overage',
    policy.login && `login=${policy.login}`,
  ].filter(Boolean)
  return parts.length ? parts.join(' ') : '-'
}

const printNewKey = (key: string, record: KeyRecord, verb: string) => {
  console.log(`${verb} API key (shown once; store it now):\n\n  ${key}\n`)
  console.log(`Hash: ${record.hash.slice(0, 8)} (for revocation)`)
  console.log(`Name: ${record.name || '(unnamed)'}`)
  console.log(`Policy: ${describePolicy(record.policy)}`)
}

const KEYS_OPTIONS = {
  'keys-file': { type: 'string' },
  store: { type: 'string' },
  'database-url': { type: 'string' },
  name: { type: 'string' },
  models: { type: 'string' },
  tools: { type: 'string' },
  'max-concurrent': { type: 'string' },
  'daily-usd': { type: 'string' },
  admin: { type: 'boolean' },
  'allow-overage': { type: 'boolean' },
  login: { type: 'string' },
  'logins-file': { type: 'string' },
  none: { type: 'boolean' },
  'usage-db': { type: 'string' },
  url: { type: 'string' },
  key: { type: 'string' },
  days: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const parseKeysArgs = (args: string[]) =>
  parseArgs({ args, allowPositionals: true, options: KEYS_OPTIONS })
type KeysValues = ReturnType<typeof parseKeysArgs>['values']

export const keysCommand = async (argv: string[], env: NodeJS.ProcessEnv) => {
  const { values, positionals } = parseKeysArgs(argv)
  const [action, ...rest] = positionals
  if (values.help || !action) {
    console.log(KEYS_HELP)
    if (!action && !values.help)
      throw new UsageError('keys needs an action: create, list, revoke, rotate or usage')
    return
  }
  const path = values['keys-file'] ?? env.API_KEYS_FILE ?? DEFAULT_KEYS_FILE
  // Opened for the actions that change or list keys (`usage` reads elsewhere), closed at the end.
  const opened =
    action === 'usage'
      ? undefined
      : await openKeyRecords(path, env, {
          store: values.store,
          databaseUrl: values['database-url'],
        })
  const keys = () => opened as KeyRecords
  try {
    return await keysAction(action, rest, values, env, path, keys)
  } finally {
    await opened?.close()
  }
}

const keysAction = async (
  action: string,
  rest: string[],
  values: KeysValues,
  env: NodeJS.ProcessEnv,
  path: string,
  keys: () => KeyRecords
) => {
  /** A login the logins file has: binding a key to a name that is not there is a mistake. */
  const knownLogin = async (name: string) => {
    const store = createLoginStore(loginFilesOf(env, values['logins-file']))
    if (!(await store.has(name))) {
      throw new UsageError(`no login named ${name} (add it: claude-code-api logins add ${name})`)
    }
    return name
  }
  const onePrefix = () => {
    if (rest.length !== 1 || !rest[0]) throw new UsageError(`keys ${action} takes one HASH_PREFIX`)
    return rest[0]
  }
  switch (action) {
    case 'create': {
      if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`)
      const policy: KeyPolicy = {
        ...(list(values.models) && { models: list(values.models) }),
        ...(list(values.tools) && { tools: list(values.tools) }),
        ...(values['max-concurrent'] !== undefined && {
          max_concurrent: number('--max-concurrent', values['max-concurrent'], true),
        }),
        ...(values['daily-usd'] !== undefined && {
          daily_usd: number('--daily-usd', values['daily-usd'], false),
        }),
        ...(values.admin && { admin: true }),
        ...(values['allow-overage'] && { allow_overage: true }),
        ...(values.login !== undefined && { login: await knownLogin(values.login) }),
      }
      const { key, record } = await keys().create({ name: values.name ?? '', policy })
      printNewKey(key, record, 'Created')
      console.log(`${keys().where === path ? 'File' : 'Stored in'}: ${keys().where}`)
      return
    }
    case 'list': {
      const { records, problems } = await keys().list()
      for (const p of problems) console.error(`warning: ${path}:${p.line}: ${p.message} (skipped)`)
      if (records.length === 0) {
        console.log(`No keys in ${keys().where}`)
        return
      }
      const rows = records.map((r) => [
        r.hash.slice(0, 8),
        r.name || '(unnamed)',
        r.created || '-',
        describePolicy(r.policy),
      ])
      printTable(['HASH', 'NAME', 'CREATED', 'POLICY'], rows)
      return
    }
    case 'revoke': {
      const revoked = await keys().revoke(onePrefix())
      console.log(`Revoked ${revoked.hash.slice(0, 8)} (${revoked.name || 'unnamed'})`)
      return
    }
    case 'rotate': {
      const { key, record, old } = await keys().rotate(onePrefix())
      printNewKey(key, record, 'Rotated')
      console.log(`Replaces: ${old.hash.slice(0, 8)} (no longer valid)`)
      return
    }
    case 'login': {
      const [prefix, name] = rest
      if (!prefix || rest.length !== (values.none ? 1 : 2)) {
        throw new UsageError('keys login takes HASH_PREFIX and a login NAME (or --none)')
      }
      const login = values.none ? undefined : await knownLogin(name ?? '')
      const record = await keys().setLogin(prefix, login)
      console.log(
        `Key ${record.hash.slice(0, 8)} (${record.name || 'unnamed'}) runs on ${login ? `login ${login}` : "the server's login"}`
      )
      return
    }
    case 'usage': {
      if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`)
      const days = number('--days', values.days, true) ?? 30
      if (days > 366) throw new UsageError('--days must be at most 366')
      return usageCommand(
        {
          usageDb: values['usage-db'],
          url: values.url,
          key: values.key ?? env.CLAUDE_CODE_API_KEY,
          days,
          json: Boolean(values.json),
        },
        env
      )
    }
    default:
      throw new UsageError(
        `unknown keys action "${action}" (create, list, revoke, rotate, login, usage)`
      )
  }
}
