/**
 * Kept sessions that outlive their runner host: after each turn of a kept session, the front
 * door copies its transcript from the host into its shared store (a `SessionArchive`); when the
 * host that held it is gone, or no longer has it, the next turn carries the transcript to any
 * host (`carriedTranscript`), which makes the session from it and resumes it. Only the
 * transcript moves: files the session's runs wrote in its folder stay on the first host.
 */
import type { RunRequest } from '../../contract/runner.js'
import { isClaudeError } from '../../errors/index.js'
import type { Logger } from '../../lib/logger.js'
import type { Host, HostSet } from './host-set.js'

export type SessionArchive = {
  /** Keeps `owner`'s session transcript (in place of an earlier one). */
  save(id: string, owner: string, transcript: string): Promise<void>
  /** The transcript, if kept for this owner and not expired. */
  load(id: string, owner: string): Promise<string | undefined>
}

/** An archive in this process's memory (tests, a library): bounded by count. */
export const createMemorySessionArchive = (max = 1_000): SessionArchive => {
  const kept = new Map<string, { owner: string; transcript: string }>()
  return {
    async save(id, owner, transcript) {
      kept.delete(id)
      kept.set(id, { owner, transcript })
      for (const oldest of kept.keys()) {
        if (kept.size <= max) break
        kept.delete(oldest)
      }
    },
    load: async (id, owner) => {
      const found = kept.get(id)
      return found?.owner === owner ? found.transcript : undefined
    },
  }
}

/** What the holder's failure to take a resumed session may be: gone, or without it. */
const lostSession = (error: unknown) =>
  isClaudeError(error) &&
  (error.type === 'session_host_unavailable' || error.type === 'session_not_found')

export const createSessionKeeping = (
  archive: SessionArchive,
  set: HostSet,
  fetchImpl: typeof fetch,
  logger: Logger
) => ({
  /** Copies the session's transcript from `host` to the archive; a failure is logged, not thrown. */
  async save(host: Host, id: string, owner: string) {
    try {
      const response = await fetchImpl(
        `${host.url}/runner/v1/sessions/${encodeURIComponent(id)}/transcript?${new URLSearchParams({ owner })}`,
        { headers: set.headers(), signal: AbortSignal.timeout(10_000) }
      )
      if (!response.ok) throw new Error(`the host answered ${response.status}`)
      await archive.save(id, owner, await response.text())
    } catch (error) {
      logger.warn('a kept session could not be copied to the shared store', {
        host: host.url,
        error: String(error),
      })
    }
  },
  /**
   * The resumed request with its transcript carried, when the holder could not take it and the
   * archive has it; else undefined (the holder's error stands).
   */
  async carried(request: RunRequest, error: unknown): Promise<RunRequest | undefined> {
    const id = request.resumeSessionId
    if (!id || request.toolResults?.length || !lostSession(error)) return undefined
    const transcript = await archive.load(id, request.owner ?? '')
    return transcript === undefined ? undefined : { ...request, carriedTranscript: transcript }
  },
})
