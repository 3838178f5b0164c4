/**
 * A run's working directory and session flags: a kept session's own directory (kept-sessions.ts),
 * the one directory shared by every run that has no use for its own (no built-in tools, no
 * sandbox), or a throwaway directory that `cleanup` removes with everything the CLI kept for it;
 * earlier turns are written as a session file to resume.
 *
 * Why share one: the CLI names its working directory in the context it sends the model, in the
 * prefix the prompt cache keeps. With a directory per run, no two conversations could share
 * that prefix, and a conversation resumed in another process could not read its own.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunRequest } from '../../../contract/runner.js'
import { SessionNotFoundError } from '../../../errors/index.js'
import { projectDir, writeHistorySession } from './history.js'
import type { SessionStore } from './kept-sessions.js'

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
  sessions: SessionStore
}

/**
 * The directory every run without a use for its own shares. It stays, empty (each run's
 * transcript is removed with the run): another server on the same work directory may be using it.
 */
export const sharedRunDir = (workDir: string) => join(workDir, 'shared')

export const prepareWorkDir = async (
  request: Pick<
    RunRequest,
    'resumeSessionId' | 'persistSession' | 'owner' | 'history' | 'carriedTranscript'
  >,
  { workDir, configDir, sessions }: WorkDirOptions,
  shared = false
): Promise<WorkDir> => {
  if (request.resumeSessionId) {
    const { resumeSessionId: id, owner = '', carriedTranscript } = request
    const session = await sessions.open(id, owner).catch(async (error: unknown) => {
      // Not here, but carried from the shared store: made here from its transcript.
      if (!(error instanceof SessionNotFoundError) || carriedTranscript === undefined) throw error
      await sessions.adopt(id, owner, carriedTranscript)
      return sessions.open(id, owner)
    })
    return {
      cwd: session.cwd,
      sessionId: session.id,
      resume: true,
      persist: true,
      cleanup: () => sessions.touch(session.id),
    }
  }
  if (request.persistSession) {
    const session = await sessions.create(request.owner)
    // Earlier turns become the start of the kept session itself (a thread made from a replay).
    if (request.history?.length) {
      await writeHistorySession({
        configDir,
        cwd: session.cwd,
        history: request.history,
        sessionId: session.id,
      })
    }
    return {
      cwd: session.cwd,
      sessionId: session.id,
      resume: Boolean(request.history?.length),
      persist: true,
      cleanup: () => sessions.touch(session.id),
    }
  }
  await mkdir(join(workDir, 'runs'), { recursive: true, mode: 0o700 })
  if (shared) {
    const cwd = sharedRunDir(workDir)
    await mkdir(cwd, { recursive: true, mode: 0o700 })
    if (!request.history?.length) return { cwd, persist: false }
    const session = await writeHistorySession({ configDir, cwd, history: request.history })
    return {
      cwd,
      sessionId: session.sessionId,
      resume: true,
      persist: false,
      cleanup: session.remove,
    }
  }
  const cwd = await mkdtemp(join(workDir, 'runs', 'run-'))
  // The CLI keeps a folder per working directory under its config (memory, transcripts), even
  // with --no-session-persistence: a throwaway run leaves neither behind.
  const removeDir = async () => {
    await rm(projectDir(configDir, cwd), { recursive: true, force: true })
    await rm(cwd, { recursive: true, force: true })
  }
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
        await removeDir()
      },
    }
  }
  return { cwd, persist: false, cleanup: removeDir }
}
