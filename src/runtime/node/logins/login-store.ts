/**
 * Named Claude logins, each a `claude setup-token` token sealed at rest (seal.ts), in one JSON
 * file (0600, rewritten atomically under the keys file's lock). The keys file names a key's login;
 * only this file holds tokens. The server reads it when it changes; `claude-code-api logins`
 * edits it, including a running server's.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, stat, writeFile } from 'node:fs/promises'
import { LOGIN_NAME } from '../../../contract/names.js'
import type { Quota } from '../../../contract/quota.js'
import { ConfigError } from '../../../errors/index.js'
import { withKeysFileLock } from '../keys.js'
import { loadKey, type Sealed, type SecretSource, seal, unseal } from './seal.js'

export type LoginInfo = {
  name: string
  added: string
  /** When a run last used it (at most a minute late), or null. */
  last_used: string | null
  /** Its quota as the server last saw it (written at most every 30 s, and on a change of status). */
  quota?: Quota | null
}

type Entry = LoginInfo & { sealed: Sealed }
type LoginsFile = { version: 1; logins: Entry[] }

export type LoginStoreOptions = {
  /** The logins file. */
  file: string
  /** `CLAUDE_LOGINS_SECRET` if set, else the secret file. */
  secret: SecretSource
}

export type LoginStore = ReturnType<typeof createLoginStore>

const USE_NOTED_EVERY_MS = 60_000
const QUOTA_NOTED_EVERY_MS = 30_000

const readLogins = async (file: string): Promise<LoginsFile> => {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  if (!text.trim()) return { version: 1, logins: [] }
  const parsed = JSON.parse(text) as LoginsFile
  if (parsed?.version !== 1 || !Array.isArray(parsed.logins)) {
    throw new ConfigError(`${file} is not a logins file this version reads`)
  }
  return parsed
}

const writeLogins = async (file: string, logins: LoginsFile) => {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 })
  await rename(temp, file)
}

export const checkLoginName = (name: string) => {
  if (!LOGIN_NAME.test(name)) {
    throw new ConfigError(
      `login name ${JSON.stringify(name)}: lower-case letters, digits, - and _, up to 64`
    )
  }
  return name
}

export const createLoginStore = ({ file, secret }: LoginStoreOptions) => {
  const edit = <T>(fn: (logins: LoginsFile) => Promise<T>) =>
    withKeysFileLock(file, async () => fn(await readLogins(file)))
  /** Tokens as last read, and the file's state they were read at. */
  let cache: { signature: string; tokens: Map<string, string> } | undefined
  const noted = new Map<string, number>()
  const quotaNoted = new Map<string, { at: number; status: string }>()

  const signature = async () => {
    const s = await stat(file).catch(() => undefined)
    return s ? `${s.mtimeMs}:${s.size}:${s.ino}` : 'none'
  }

  return {
    file,
    async list(): Promise<LoginInfo[]> {
      const { logins } = await readLogins(file)
      return logins.map(({ name, added, last_used, quota }) => ({
        name,
        added,
        last_used,
        quota: quota ?? null,
      }))
    },
    async has(name: string) {
      return (await readLogins(file)).logins.some((l) => l.name === name)
    },
    /** Adds a login; `replace` lets a new token take an existing name's place. */
    async add(name: string, token: string, replace = false) {
      checkLoginName(name)
      const text = token.trim()
      if (!text || /\s/.test(text)) throw new ConfigError('the token must be one word, on stdin')
      const key = await loadKey(secret, true)
      await edit(async (logins) => {
        const at = logins.logins.findIndex((l) => l.name === name)
        if (at >= 0 && !replace) {
          throw new ConfigError(`login ${name} exists (replace its token with --replace)`)
        }
        const entry: Entry = {
          name,
          added: new Date().toISOString(),
          last_used: null,
          sealed: seal(key, text, name),
        }
        if (at >= 0) logins.logins[at] = entry
        else logins.logins.push(entry)
        await writeLogins(file, logins)
      })
    },
    async remove(name: string) {
      return edit(async (logins) => {
        const kept = logins.logins.filter((l) => l.name !== name)
        if (kept.length === logins.logins.length) return false
        await writeLogins(file, { ...logins, logins: kept })
        return true
      })
    },
    /** A login's token, or undefined when there is no such login (read again when the file changed). */
    async token(name: string): Promise<string | undefined> {
      const now = await signature()
      if (cache?.signature !== now) {
        const { logins } = await readLogins(file)
        const tokens = new Map<string, string>()
        if (logins.length > 0) {
          const open = (key: Buffer) => {
            for (const l of logins) tokens.set(l.name, unseal(key, l.sealed, l.name))
          }
          try {
            open(await loadKey(secret, false))
          } catch (error) {
            // A rotation stopped between writing the logins and replacing the secret file.
            const next = `${secret.file}.next`
            const key = await loadKey({ file: next }, false).catch(() => undefined)
            if (!key || secret.env) throw error
            open(key)
            await rename(next, secret.file)
          }
        }
        cache = { signature: now, tokens }
      }
      return cache.tokens.get(name)
    },
    /** Notes that a run used the login (written at most once a minute per login). */
    async noteUse(name: string, at = Date.now()) {
      if (at - (noted.get(name) ?? 0) < USE_NOTED_EVERY_MS) return
      noted.set(name, at)
      await edit(async (logins) => {
        const entry = logins.logins.find((l) => l.name === name)
        if (!entry) return
        entry.last_used = new Date(at).toISOString()
        await writeLogins(file, logins)
      })
    },
    /** Keeps the login's latest quota report, for `logins list`. */
    async noteQuota(name: string, quota: Quota, at = Date.now()) {
      const last = quotaNoted.get(name)
      if (last && last.status === quota.status && at - last.at < QUOTA_NOTED_EVERY_MS) return
      quotaNoted.set(name, { at, status: quota.status })
      await edit(async (logins) => {
        const entry = logins.logins.find((l) => l.name === name)
        if (!entry) return
        entry.quota = quota
        await writeLogins(file, logins)
      })
    },
    /**
     * Seals every token again under a new secret: a new secret file (the old one is replaced
     * after the logins are), or `next`, the operator's new CLAUDE_LOGINS_SECRET.
     */
    async rotateSecret(next?: string) {
      if (secret.env && next === undefined) {
        throw new ConfigError('CLAUDE_LOGINS_SECRET is set: give the new secret on stdin')
      }
      const old = await loadKey(secret, false)
      const fresh = next ?? randomBytes(32).toString('base64')
      const key = await loadKey({ env: fresh, file: secret.file }, false)
      await edit(async (logins) => {
        for (const l of logins.logins) l.sealed = seal(key, unseal(old, l.sealed, l.name), l.name)
        if (next === undefined) {
          const temp = `${secret.file}.next`
          await writeFile(temp, fresh, { mode: 0o600 })
          await writeLogins(file, logins)
          await rename(temp, secret.file)
        } else {
          await writeLogins(file, logins)
        }
      })
      cache = undefined
      return { secretInFile: next === undefined }
    },
  }
}
