/**
 * Runs waiting for the client's tool results. The CLI process stays alive, waiting on its
 * `tools/call`; the client's next request, carrying the results, finds the run by the tool call
 * ids (`find`: checked, still waiting) and takes it back only once it has a slot (`take`), so a
 * follow-up refused on the way leaves the run waiting. A parked run belongs to its key, waits at
 * most `ttlMs`; at most `max` wait at once, and `maxPerOwner` of one key (the oldest is stopped
 * first): each holds a CLI process.
 */

import type { ClientTool, ToolCall, ToolResult } from '../../../contract/runner.js'
import { ToolCallNotPendingError, ValidationError } from '../../../errors/index.js'
import type { Conversation } from '../../../run/conversation-key.js'
import type { PendingCall } from '../cli-protocol/client-tools.js'
import type { CliTranslator } from '../cli-protocol/translator.js'
import type { RunPlace } from '../pool/shape.js'
import type { CliSession } from '../session/cli-session.js'

export type ParkedRun = {
  session: CliSession
  owner?: string
  tools: ClientTool[]
  translator: CliTranslator
  /** The `tools/call`s the CLI waits on now. */
  pending: PendingCall[]
  /** Every call the client was given; its results must answer them all. */
  calls: string[]
  /** Those calls as the client was given them, to check the follow-up's copy against. */
  made: ToolCall[]
  /** USD the turn was charged for its parts so far (charging.ts). */
  charged: number
  /** The conversation the run was started with (conversation-key.ts). */
  conversation: string
  /** The conversation as the client was shown it so far: through the calls it must answer. */
  transcript: Conversation
  /** Where its process came from: where it goes when the run ends (reused by its tenant). */
  place: RunPlace
}

export type ParkedRunsOptions = {
  ttlMs: number
  max: number
  maxPerOwner: number
  /**
   * Resident memory the waiting processes may hold together; beyond it the oldest stop first
   * (each holds a CLI process of ~160–200 MiB). Default: no limit but `max`.
   */
  maxRssBytes?: number
  /** A process's resident memory, where it can be read (process/memory.ts). */
  residentBytes?: (pid: number | undefined) => Promise<number | undefined>
  /** A run that waited too long, or made room (its process is stopped). */
  onExpire?: (run: ParkedRun) => void
}

/** Same tool, same input (compared as JSON values, whatever their key order). */
const sameCall = (made: ToolCall, claimed: { name: string; input: unknown }) =>
  made.name === claimed.name && canonical(made.input ?? {}) === canonical(claimed.input ?? {})

const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value)

/** The results answer exactly the run's calls, for the conversation and calls it was given. */
const checkAnswers = (run: ParkedRun, results: readonly ToolResult[], conversation?: string) => {
  const ids = results.map((r) => r.toolUseId)
  const missing = run.calls.filter((id) => !ids.includes(id))
  const unknown = ids.filter((id) => !run.calls.includes(id))
  if (missing.length > 0 || unknown.length > 0) {
    throw new ValidationError(
      missing.length > 0
        ? `Tool results are missing for: ${missing.join(', ')} (answer every call of the turn)`
        : `Tool results for calls this turn did not make: ${unknown.join(', ')}`
    )
  }
  if (conversation !== undefined && conversation !== run.conversation) {
    throw new ValidationError(
      'The conversation before the tool calls is not the one the waiting run was given: send it as it was, or start again'
    )
  }
  for (const result of results) {
    const made = run.made.find((call) => call.id === result.toolUseId)
    if (result.call && made && !sameCall(made, result.call)) {
      throw new ValidationError(
        `The conversation shows call ${made.id} as ${result.call.name} with other input than the model made: send the call as it was answered`
      )
    }
  }
}

/** Stops the oldest waiting processes while together they hold more than the budget. */
const keepWithinMemory = async (
  waiting: readonly ParkedRun[],
  newest: ParkedRun,
  { maxRssBytes, residentBytes }: Pick<ParkedRunsOptions, 'maxRssBytes' | 'residentBytes'>,
  expire: (run: ParkedRun) => void
) => {
  if (maxRssBytes === undefined || !residentBytes) return
  const held = await Promise.all(
    waiting.map(async (r) => ({ r, bytes: (await residentBytes(r.session.pid)) ?? 0 }))
  )
  let total = held.reduce((sum, { bytes }) => sum + bytes, 0)
  for (const { r, bytes } of held) {
    if (total <= maxRssBytes || r === newest) break
    expire(r)
    total -= bytes
  }
}

export type ParkedRuns = ReturnType<typeof createParkedRuns>

export const createParkedRuns = ({
  ttlMs,
  max,
  maxPerOwner,
  maxRssBytes,
  residentBytes,
  onExpire,
}: ParkedRunsOptions) => {
  const runs = new Map<ParkedRun, ReturnType<typeof setTimeout>>()

  const expire = (run: ParkedRun) => {
    const timer = runs.get(run)
    if (timer === undefined) return
    clearTimeout(timer)
    runs.delete(run)
    onExpire?.(run)
    void run.session.stop()
  }

  return {
    park(run: ParkedRun) {
      run.session.park()
      const own = [...runs.keys()].filter((r) => r.owner === run.owner)
      if (own.length >= maxPerOwner && own[0]) expire(own[0])
      if (runs.size >= max) {
        const oldest = runs.keys().next().value
        if (oldest) expire(oldest)
      }
      const timer = setTimeout(() => expire(run), ttlMs)
      timer.unref?.()
      runs.set(run, timer)
      void keepWithinMemory([...runs.keys()], run, { maxRssBytes, residentBytes }, expire)
    },
    /**
     * The run these results answer, or why not; results must answer every call it made. It
     * stays parked until `take`.
     */
    find(
      results: readonly ToolResult[],
      owner: string | undefined,
      conversation?: string
    ): ParkedRun {
      const ids = results.map((r) => r.toolUseId)
      const run = [...runs.keys()].find((r) => r.calls.some((id) => ids.includes(id)))
      if (!run || run.owner !== owner) {
        throw new ToolCallNotPendingError(
          `No run is waiting for tool call ${ids[0] ?? '(none)'}: it was answered already, never made, or waited too long (start the request again)`
        )
      }
      checkAnswers(run, results, conversation)
      return run
    },
    /** Takes a found run back, unless it stopped waiting meanwhile (expired, made room). */
    take(run: ParkedRun): ParkedRun {
      const timer = runs.get(run)
      if (timer === undefined || run.session.state !== 'parked') {
        throw new ToolCallNotPendingError(
          `No run is waiting for tool call ${run.calls[0] ?? '(none)'}: it waited too long (start the request again)`
        )
      }
      clearTimeout(timer)
      runs.delete(run)
      return run
    },
    size: () => runs.size,
    close() {
      for (const run of [...runs.keys()]) expire(run)
    },
  }
}
