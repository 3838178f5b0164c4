/**
 * Kept sessions on disk: `<workDir>/sessions/<id>/` is the session's working directory, its owner
 * (an API key's hash, or empty) is recorded in `<id>.owner` beside it, and the CLI keeps its
 * transcript under its config directory. Sessions expire after a lifetime without use, and each
 * owner keeps at most a number of them (the least recently used go first), and one grown past
 * a size is removed when next opened, so disk use is bounded.
 */
import { randomUUID } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SessionNotFoundError } from '../../../errors/index.js'
import { type Clock, systemClock } from '../../../lib/clock.js'
import { projectDir } from './history.js'

export type SessionStoreOptions = {
  workDir: string
  /** The CLI's config directory (its transcripts live under `projects/`). */
  configDir: string
  /** A session unused for this long is removed. Default 7 days. */
  /** What time it is for sessions' age (tests move it on instead of sleeping). */
  clock?: Clock
  ttlMs?: number
  /** Sessions each owner may keep; the least recently used beyond it are removed. Default 50. */
  maxPerOwner?: number
  /** Disk one session may hold; one grown past it is removed when it is next opened. Default 512 MiB. */
  maxBytes?: number
}

export type SessionStore = ReturnType<typeof createSessionStore>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Where a session's pieces live. */
const pathsOf = (workDir: string, configDir: string) => {
  const root = join(workDir, 'sessions')
  return {
    root,
    configDir,
    dir: (id: string) => join(root, id),
    owner: (id: string) => join(root, `${id}.owner`),
    /** Present once a sandboxed run used the session (its folders may hold what Bash left). */
    sandboxed: (id: string) => join(root, `${id}.sandboxed`),
  }
}
type Paths = ReturnType<typeof pathsOf>

/** Last use: the owner record's mtime, touched on every resume. */
const lastUsed = (paths: Paths, id: string) =>
  stat(paths.owner(id)).then(
    (s) => s.mtimeMs,
    () => 0
  )

const remove = async (paths: Paths, id: string) => {
  await rm(paths.owner(id), { force: true })
  await rm(paths.sandboxed(id), { force: true })
  await rm(projectDir(paths.configDir, paths.dir(id)), { recursive: true, force: true })
  await rm(paths.dir(id), { recursive: true, force: true })
}

const list = async (paths: Paths) => {
  const names = await readdir(paths.root).catch(() => [] as string[])
  const ids = names.filter((name) => UUID.test(name))
  return Promise.all(
    ids.map(async (id) => ({
      id,
      owner: await readFile(paths.owner(id), 'utf8').catch(() => ''),
      used: await lastUsed(paths, id),
    }))
  )
}

/** Removes expired sessions, and `owner`'s oldest beyond the cap less `room`. */
const prune = async (
  paths: Paths,
  { ttlMs, maxPerOwner, clock }: { ttlMs: number; maxPerOwner: number; clock: Clock },
  owner?: string,
  room = 0
) => {
  const now = clock.now()
  const sessions = await list(paths)
  const expired = sessions.filter((s) => now - s.used > ttlMs)
  const mine = sessions
    .filter((s) => owner !== undefined && s.owner === owner && now - s.used <= ttlMs)
    .sort((a, b) => b.used - a.used)
  const over = mine.slice(Math.max(0, maxPerOwner - room))
  await Promise.all([...expired, ...over].map((s) => remove(paths, s.id)))
}

/** Bytes under `path`, links not followed (a run's Bash may have planted some), up to `limit`. */
const sizeOf = async (path: string, limit: number): Promise<number> => {
  const info = await lstat(path).catch(() => undefined)
  if (!info?.isDirectory()) return info?.size ?? 0
  let total = 0
  for (const name of await readdir(path).catch(() => [] as string[])) {
    total += await sizeOf(join(path, name), limit - total)
    if (total > limit) break
  }
  return total
}

/** The session's directory, if it exists, belongs to `owner`, has not expired or grown too big. */
const open = async (
  paths: Paths,
  { ttlMs, maxBytes, clock }: { ttlMs: number; maxBytes: number; clock: Clock },
  id: string,
  owner: string
) => {
  const sessionId = id.toLowerCase()
  if (!UUID.test(sessionId)) throw new SessionNotFoundError('No session with that id')
  const recorded = await readFile(paths.owner(sessionId), 'utf8').catch(() => undefined)
  const used = await lastUsed(paths, sessionId)
  if (recorded === undefined || recorded !== owner) {
    throw new SessionNotFoundError('No session with that id')
  }
  if (clock.now() - used > ttlMs) {
    await remove(paths, sessionId)
    throw new SessionNotFoundError('No session with that id (it expired)')
  }
  const held = [paths.dir(sessionId), projectDir(paths.configDir, paths.dir(sessionId))]
  let bytes = 0
  for (const path of held) bytes += await sizeOf(path, maxBytes - bytes)
  if (bytes > maxBytes) {
    await remove(paths, sessionId)
    throw new SessionNotFoundError(
      `No session with that id (it grew past ${Math.round(maxBytes / 1048576)} MiB on disk and was removed)`
    )
  }
  const now = new Date(clock.now())
  await utimes(paths.owner(sessionId), now, now)
  return { id: sessionId, cwd: paths.dir(sessionId) }
}

export const createSessionStore = ({
  workDir,
  configDir,
  ttlMs = 7 * 24 * 3600_000,
  maxPerOwner = 50,
  maxBytes = 512 * 1024 * 1024,
  clock = systemClock,
}: SessionStoreOptions) => {
  const paths = pathsOf(workDir, configDir)
  const limits = { ttlMs, maxPerOwner, clock }
  /** Marks the session used now, as the store's clock has it (its age is its file's mtime). */
  const markUsed = async (id: string) => {
    const now = new Date(clock.now())
    await utimes(paths.owner(id), now, now).catch(() => {})
  }
  return {
    prune: (owner?: string, room = 0) => prune(paths, limits, owner, room),
    /** A new session for `owner`, made room for under its cap. */
    async create(owner = '') {
      await prune(paths, limits, owner, 1)
      const id = randomUUID()
      await mkdir(paths.dir(id), { recursive: true, mode: 0o700 })
      await writeFile(paths.owner(id), owner, { mode: 0o600 })
      await markUsed(id)
      return { id, cwd: paths.dir(id) }
    },
    /**
     * From now on the session resumes only inside the sandbox: a command run there may have
     * planted links in its directory or its transcript folder, which the CLI outside would follow.
     */
    async markSandboxed(id: string) {
      await writeFile(paths.sandboxed(id), '', { mode: 0o600 })
    },
    async isSandboxed(id: string) {
      return stat(paths.sandboxed(id.toLowerCase())).then(
        () => true,
        () => false
      )
    },
    /** Marks the session used now (at the end of each run, so a long run does not age it). */
    touch: markUsed,
    /** The session's directory, if it exists, belongs to `owner` and has not expired. */
    open: (id: string, owner = '') => open(paths, { ttlMs, maxBytes, clock }, id, owner),
    /** The session's transcript (JSONL), as the CLI wrote it, if it is `owner`'s and kept. */
    async transcript(id: string, owner = '') {
      const session = await open(paths, { ttlMs, maxBytes, clock }, id, owner)
      return readFile(join(projectDir(configDir, session.cwd), `${session.id}.jsonl`), 'utf8')
    },
    /**
     * Makes a session this store does not hold from a transcript another host wrote (kept in a
     * front door's shared store): the same id, for the same owner, its folder empty.
     */
    async adopt(id: string, owner: string, transcript: string) {
      const sessionId = id.toLowerCase()
      if (!UUID.test(sessionId)) throw new SessionNotFoundError('No session with that id')
      if (Buffer.byteLength(transcript) > maxBytes) {
        throw new SessionNotFoundError('No session with that id (its transcript is too big)')
      }
      // One held here (another owner's, or expired) is never written over.
      if (
        await stat(paths.owner(sessionId)).then(
          () => true,
          () => false
        )
      ) {
        throw new SessionNotFoundError('No session with that id')
      }
      await prune(paths, limits, owner, 1)
      await mkdir(paths.dir(sessionId), { recursive: true, mode: 0o700 })
      const project = projectDir(configDir, paths.dir(sessionId))
      await mkdir(project, { recursive: true, mode: 0o700 })
      await writeFile(join(project, `${sessionId}.jsonl`), transcript, { mode: 0o600 })
      await writeFile(paths.owner(sessionId), owner, { mode: 0o600 })
      await markUsed(sessionId)
    },
  }
}
