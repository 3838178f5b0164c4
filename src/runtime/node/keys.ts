/**
 * The `.api-keys` file on Node: read with hot reload (an mtime check at most once a second, never
 * a read per request), and changed under a lock with an atomic rename, so concurrent
 * `keys create` calls lose nothing. Created with mode 0600.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  KEYS_FILE_HEADER,
  type KeyPolicy,
  type KeyRecord,
  lineHash,
  parseHashList,
  parseKeysFile,
  recordLine,
} from '../../auth/keys.js'
import type { KeySet, KeySource } from '../../auth/middleware.js'
import { KeysFileError } from '../../errors/index.js'
import { type Clock, systemClock } from '../../lib/clock.js'
import { type Logger, silentLogger } from '../../lib/logger.js'
import { matchOne, type NewKey, newKey, rotatedKey, withLogin } from './key-changes.js'

export type FileKeySourceOptions = {
  path: string
  /** API_KEY_HASHES: comma-separated hashes, merged with the file's. */
  hashes?: string
  /** API_AUTH_DISABLED: auth off, whatever is configured. */
  disabled?: boolean
  /** How often the file's mtime may be checked. Default 1 s. */
  checkIntervalMs?: number
  clock?: Clock
  logger?: Logger
}

type FileState = {
  signature: string
  records: KeyRecord[]
  exists: boolean
  /** Why the keys cannot be trusted right now (the file had keys, and now it is gone or bad). */
  unavailable?: string
}

const signatureOf = (s: { mtimeMs: number; size: number; ino: number }) =>
  `${s.mtimeMs}:${s.size}:${s.ino}`

export const createFileKeySource = (
  options: FileKeySourceOptions
): KeySource & {
  /** Reads the file now; `atStart`, an unreadable file is an error instead of a refusal. */
  refresh(atStart?: boolean): Promise<KeySet>
} => {
  const logger = options.logger ?? silentLogger
  const env = parseHashList(options.hashes)
  for (const problem of env.problems) logger.warn(problem)
  const interval = options.checkIntervalMs ?? 1_000
  const clock = options.clock ?? systemClock
  let state: FileState = { signature: 'none', records: [], exists: false }
  let checkedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined
  // Once the file has existed, losing it must not turn auth off; once it has held keys, losing
  // them must not either: fail closed instead.
  let existed = false
  let hadKeys = false

  const failClosed = (signature: string, why: string) => {
    if (!state.unavailable) {
      logger.error('keys file unusable: refusing every request that needs a key until it is back', {
        path: options.path,
        problem: why,
      })
    }
    state = { signature, records: [], exists: state.exists, unavailable: why }
  }

  const reload = async (atStart = false) => {
    const info = await stat(options.path).catch(() => undefined)
    const signature = info ? signatureOf(info) : 'none'
    if (signature === state.signature) return
    if (!info) {
      if (existed) return failClosed(signature, 'the keys file is missing')
      state = { signature, records: [], exists: false }
      logger.info('keys file not found; no keys from it', { path: options.path })
      return
    }
    let text: string
    try {
      text = await readFile(options.path, 'utf8')
    } catch (error) {
      const why = `the keys file cannot be read (${(error as NodeJS.ErrnoException).code})`
      if (atStart) throw new KeysFileError(`${options.path}: ${why}`, { cause: error })
      return failClosed(signature, why)
    }
    const parsed = parseKeysFile(text)
    for (const problem of parsed.problems) {
      logger.warn('keys file: line skipped', {
        path: options.path,
        line: problem.line,
        problem: problem.message,
      })
    }
    if (hadKeys && parsed.records.length === 0) {
      return failClosed(signature, 'the keys file holds no valid key')
    }
    if (state.unavailable) logger.info('keys file usable again', { path: options.path })
    existed = true
    hadKeys ||= parsed.records.length > 0
    state = { signature, records: parsed.records, exists: true }
    logger.info('keys loaded', { path: options.path, keys: parsed.records.length })
  }

  const current = (): KeySet => ({
    enabled: !options.disabled && (state.exists || env.records.length > 0),
    records: [...state.records, ...env.records],
    ...(!options.disabled && state.unavailable && { unavailable: state.unavailable }),
  })

  const refresh = async (atStart = false) => {
    checkedAt = clock.now()
    pending ??= reload(atStart).finally(() => {
      pending = undefined
    })
    await pending
    return current()
  }

  return {
    refresh,
    load: async () => (clock.now() - checkedAt >= interval ? refresh() : current()),
  }
}

const LOCK_STALE_MS = 30_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const BREAK_STALE_MS = 10_000

const lockAge = (file: string) =>
  stat(file).then(
    (s) => Date.now() - s.mtimeMs,
    () => 0
  )

/**
 * Removes a lock its holder left behind (a crash). Only the holder of `<lock>.break` may, and
 * it checks the lock is still stale first: while a lock file exists no one can create another,
 * and no one else removes stale ones, so the check and the removal cannot be split by another
 * waiter taking a fresh lock in between.
 */
const breakStaleLock = async (lock: string) => {
  const breaker = `${lock}.break`
  const handle = await open(breaker, 'wx', 0o600).catch(() => undefined)
  if (!handle) {
    // Someone else is breaking it; a breaker left by a crash goes after a while.
    if ((await lockAge(breaker)) > BREAK_STALE_MS) await unlink(breaker).catch(() => {})
    return
  }
  await handle.close()
  try {
    if ((await lockAge(lock)) > LOCK_STALE_MS) await unlink(lock).catch(() => {})
  } finally {
    await unlink(breaker).catch(() => {})
  }
}

/**
 * Runs `fn` holding `<path>.lock` (created with O_EXCL, holding a random token); a lock older
 * than 30 s is taken to be left by a crash. The folder is made if it does not exist.
 */
export const withKeysFileLock = async <T>(path: string, fn: () => Promise<T>): Promise<T> => {
  const lock = `${path}.lock`
  const token = randomBytes(16).toString('hex')
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      const handle = await open(lock, 'wx', 0o600)
      await handle.writeFile(token)
      await handle.close()
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if ((await lockAge(lock)) > LOCK_STALE_MS) await breakStaleLock(lock)
      if (Date.now() > deadline) throw new KeysFileError(`Could not lock ${path} (held by ${lock})`)
      await sleep(5 + Math.random() * 20)
    }
  }
  try {
    return await fn()
  } finally {
    // Only our own lock: had ours been taken as stale, the file is someone else's now.
    if ((await readFile(lock, 'utf8').catch(() => '')) === token) await unlink(lock).catch(() => {})
  }
}

export const readKeyRecords = async (path: string) => {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  return parseKeysFile(text)
}

/**
 * Rewrites the file atomically (temp file + rename, mode 0600) with `edit` applied to its lines.
 * Lines it does not touch, comments and lines this version cannot read included, stay as they were.
 */
const editKeysFile = async (path: string, edit: (lines: string[]) => string[]) => {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return KEYS_FILE_HEADER
    throw error
  })
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(temp, `${edit(lines).join('\n')}\n`, { mode: 0o600 })
  await rename(temp, path)
}

export const createKey = async (
  path: string,
  options: { name?: string; policy?: KeyPolicy } = {}
): Promise<NewKey> => {
  const created = await newKey(options)
  await withKeysFileLock(path, () =>
    editKeysFile(path, (lines) => [...lines, recordLine(created.record)])
  )
  return created
}

export const revokeKey = (path: string, prefix: string): Promise<KeyRecord> =>
  withKeysFileLock(path, async () => {
    const { records } = await readKeyRecords(path)
    const target = matchOne(records, prefix)
    await editKeysFile(path, (lines) => lines.filter((line) => lineHash(line) !== target.hash))
    return target
  })

/** A new key in place of an old one, keeping its name and policy. */
export const rotateKey = (path: string, prefix: string): Promise<NewKey & { old: KeyRecord }> =>
  withKeysFileLock(path, async () => {
    const { records } = await readKeyRecords(path)
    const old = matchOne(records, prefix)
    const { key, record } = await rotatedKey(old)
    await editKeysFile(path, (lines) =>
      lines.map((line) => (lineHash(line) === old.hash ? recordLine(record) : line))
    )
    return { key, record, old }
  })

/** Binds a key to a login by name, or back to the server's login (`undefined`). */
export const setKeyLogin = (path: string, prefix: string, login: string | undefined) =>
  withKeysFileLock(path, async () => {
    const { records } = await readKeyRecords(path)
    const old = matchOne(records, prefix)
    const record = withLogin(old, login)
    await editKeysFile(path, (lines) =>
      lines.map((line) => (lineHash(line) === old.hash ? recordLine(record) : line))
    )
    return record
  })
