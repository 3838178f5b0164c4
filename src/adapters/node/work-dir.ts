/**
 * A run's working directory and session flags: a kept session's own directory (its owner
 * recorded beside it, out of the CLI's reach), or a throwaway directory that `cleanup` removes,
 * with earlier turns written as a session file to resume.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SessionNotFoundError } from '../../errors.js'
import type { RunRequest } from '../../runner.js'
import { projectDir, writeHistorySession } from './history.js'

export type WorkDir = {
  cwd: string
  /** `--session-id` for a new kept session, or `--resume` for an existing one (`resume`). */
  sessionId?: string
  resume?: boolean
  persist: boolean
  cleanup?: () => Promise<void>
}

export type WorkDirOptions = {
  /** Where run and session directories are made. */
  workDir: string
  /** The CLI's config directory (where it keeps session files). */
  configDir: string
}

export const prepareWorkDir = async (
  request: Pick<RunRequest, 'resumeSessionId' | 'persistSession' | 'owner' | 'history'>,
  { workDir, configDir }: WorkDirOptions
): Promise<WorkDir> => {
  const sessions = join(workDir, 'sessions')
  // A session's owner is kept beside its directory, out of the CLI's reach.
  const ownerFile = (id: string) => join(sessions, `${id}.owner`)
  if (request.resumeSessionId) {
    const sessionId = request.resumeSessionId.toLowerCase()
    const cwd = join(sessions, sessionId)
    const found = await stat(cwd).then(
      (s) => s.isDirectory(),
      () => false
    )
    const owner = await readFile(ownerFile(sessionId), 'utf8').catch(() => '')
    if (!found || owner !== (request.owner ?? '')) {
      throw new SessionNotFoundError('No session with that id')
    }
    return { cwd, sessionId, resume: true, persist: true }
  }
  if (request.persistSession) {
    const sessionId = randomUUID()
    const cwd = join(sessions, sessionId)
    await mkdir(cwd, { recursive: true, mode: 0o700 })
    if (request.owner) await writeFile(ownerFile(sessionId), request.owner, { mode: 0o600 })
    return { cwd, sessionId, resume: false, persist: true }
  }
  await mkdir(join(workDir, 'runs'), { recursive: true, mode: 0o700 })
  const cwd = await mkdtemp(join(workDir, 'runs', 'run-'))
  const removeDir = () => rm(cwd, { recursive: true, force: true })
  if (request.history?.length) {
    const session = await writeHistorySession({
      configDir: configDir,
      cwd,
      history: request.history,
    })
    return {
      cwd,
      sessionId: session.sessionId,
      resume: true,
      persist: false,
      cleanup: async () => {
        await session.remove()
        await rm(projectDir(configDir, cwd), { recursive: true, force: true })
        await removeDir()
      },
    }
  }
  return { cwd, persist: false, cleanup: removeDir }
}
