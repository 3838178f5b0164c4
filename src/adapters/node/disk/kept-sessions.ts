/**
 * Kept sessions on disk: `<workDir>/sessions/<id>/` is the session's working directory, its owner
 * (an API key's hash, or empty) is recorded in `<id>.owner` beside it, and the CLI keeps its
 * transcript under its config directory. Sessions expire after a lifetime without use, and each
 * owner keeps at most a number of them (the least recently used go first), so disk use is bounded.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SessionNotFoundError } from '../../../errors/index.js'
import { projectDir } from './history.js'

export type SessionStoreOptions = {
  workDir: string
  /** The CLI's config directory (its transcripts live under `projects/`). */
  configDir: string
  /** A session unused for this long is removed. Default 7 days. */
  ttlMs?: number
  /** Sessions each owner may keep; the least recently used beyond it are removed. Default 50. */
  maxPerOwner?: number
}

export type SessionStore = ReturnType<typeof createSessionStore>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const createSessionStore = ({
  workDir,
  configDir,
  ttlMs = 7 * 24 * 3600_000,
  maxPerOwner = 50,
}: SessionStoreOptions) => {
  const root = join(workDir, 'sessions')
  const dirOf = (id: string) => join(root, id)
  const ownerFile = (id: string) => join(root, `${id}.owner`)
  /** Present once a sandboxed run used the session (its folders may hold what Bash left). */
  const sandboxedFile = (id: string) => join(root, `${id}.sandboxed`)
  /** Last use: the owner record's mtime, touched on every resume. */
  const lastUsed = (id: string) =>
    stat(ownerFile(id)).then(
      (s) => s.mtimeMs,
      () => 0
    )

  const remove = async (id: string) => {
    await rm(ownerFile(id), { force: true })
    await rm(sandboxedFile(id), { force: true })
    await rm(projectDir(configDir, dirOf(id)), { recursive: true, force: true })
    await rm(dirOf(id), { recursive: true, force: true })
  }

  const list = async () => {
    const names = await readdir(root).catch(() => [] as string[])
    const ids = names.filter((name) => UUID.test(name))
    return Promise.all(
      ids.map(async (id) => ({
        id,
        owner: await readFile(ownerFile(id), 'utf8').catch(() => ''),
        used: await lastUsed(id),
      }))
    )
  }

  /** Removes expired sessions, and `owner`'s oldest beyond the cap less `room`. */
  const prune = async (owner?: string, room = 0) => {
    const now = Date.now()
    const sessions = await list()
    const expired = sessions.filter((s) => now - s.used > ttlMs)
    const mine = sessions
      .filter((s) => owner !== undefined && s.owner === owner && now - s.used <= ttlMs)
      .sort((a, b) => b.used - a.used)
    const over = mine.slice(Math.max(0, maxPerOwner - room))
    await Promise.all([...expired, ...over].map((s) => remove(s.id)))
  }

  return {
    prune,
    /** A new session for `owner`, made room for under its cap. */
    async create(owner = '') {
      await prune(owner, 1)
      const id = randomUUID()
      await mkdir(dirOf(id), { recursive: true, mode: 0o700 })
      await writeFile(ownerFile(id), owner, { mode: 0o600 })
      return { id, cwd: dirOf(id) }
    },
    /**
     * From now on the session resumes only inside the sandbox: a command run there may have
     * planted links in its directory or its transcript folder, which the CLI outside would follow.
     */
    async markSandboxed(id: string) {
      await writeFile(sandboxedFile(id), '', { mode: 0o600 })
    },
    async isSandboxed(id: string) {
      return stat(sandboxedFile(id.toLowerCase())).then(
        () => true,
        () => false
      )
    },
    /** Marks the session used now (at the end of each run, so a long run does not age it). */
    async touch(id: string) {
      const now = new Date()
      await utimes(ownerFile(id), now, now).catch(() => {})
    },
    /** The session's directory, if it exists, belongs to `owner` and has not expired. */
    async open(id: string, owner = '') {
      const sessionId = id.toLowerCase()
      if (!UUID.test(sessionId)) throw new SessionNotFoundError('No session with that id')
      const recorded = await readFile(ownerFile(sessionId), 'utf8').catch(() => undefined)
      const used = await lastUsed(sessionId)
      if (recorded === undefined || recorded !== owner) {
        throw new SessionNotFoundError('No session with that id')
      }
      if (Date.now() - used > ttlMs) {
        await remove(sessionId)
        throw new SessionNotFoundError('No session with that id (it expired)')
      }
      const now = new Date()
      await utimes(ownerFile(sessionId), now, now)
      return { id: sessionId, cwd: dirOf(sessionId) }
    },
  }
}
