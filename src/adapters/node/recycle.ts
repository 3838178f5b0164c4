/**
 * Making a process that served a run ready for its tenant's next one. `/clear` starts a new
 * conversation in the same process: nothing of the earlier run reaches the model again, only
 * about a hundred tokens recording the command itself (measured on 2.1.330; see the README). The
 * new session id is the proof that the conversation was reset: without it, no reuse.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { RunRequest } from '../../runner.js'
import type { CliProcess } from './process.js'
import { parseCliLine } from './stream-json.js'

/** A plain string, so the CLI runs it as its built-in command (prompts never are: `userLine`). */
const CLEAR_LINE = JSON.stringify({
  type: 'user',
  session_id: '',
  message: { role: 'user', content: '/clear' },
  parent_tool_use_id: null,
})

/**
 * Who may get the process next: the same key, with the same system prompt and schema (the
 * `initialize` request fixed them for the life of the process).
 */
export const tenantOf = (request: RunRequest) =>
  createHash('sha256')
    .update(
      JSON.stringify([
        request.owner ?? null,
        request.systemPrompt ?? null,
        request.appendSystemPrompt ?? null,
        request.jsonSchema ?? null,
      ])
    )
    .digest('hex')

/**
 * Sends `/clear` and reads up to its result. Resolves true only when the CLI reported a reset
 * and a session id other than the run's; false when it did not, or did not answer in time.
 */
export const clearConversation = async (
  proc: CliProcess,
  previousSessionId: string,
  timeoutMs: number
): Promise<boolean> => {
  const timer = setTimeout(() => void proc.terminate(), timeoutMs)
  try {
    proc.child.stdin.write(`${CLEAR_LINE}\n`)
    let reset = false
    for await (const line of proc.lines) {
      const message = parseCliLine(line)
      if (message?.type === 'conversation_reset') reset = true
      if (message?.type === 'result') {
        return (
          reset &&
          message.is_error !== true &&
          typeof message.session_id === 'string' &&
          message.session_id !== previousSessionId
        )
      }
    }
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** Resident memory of a process in bytes (Linux: /proc), undefined where unknown. */
export const residentBytes = async (pid: number | undefined): Promise<number | undefined> => {
  if (pid === undefined) return undefined
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]
  return kib === undefined ? undefined : Number(kib) * 1024
}
