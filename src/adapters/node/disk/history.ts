/**
 * Earlier turns of a stateless request (as OpenAI and Anthropic clients send them) reach the
 * model as real earlier messages: they are written as a minimal Claude Code session file, which
 * the run resumes with `--resume` and `--no-session-persistence`. The format is the CLI's own
 * (measured on 2.1.330); an end-to-end test asserts at the mock that the turns arrive one by one,
 * so a CLI upgrade that changes it fails loudly. Earlier tool calls and results stay `tool_use` /
 * `tool_result` blocks (§5.13), named as the model saw the client's tools (`mcp__client__…`).
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { HistoryTurn } from '../../../contract/runner.js'
import { blocksOf } from '../../../run/content.js'
import { TOOL_PREFIX } from '../cli-protocol/client-tools.js'

/** Where the CLI keeps a working directory's sessions: every character but [A-Za-z0-9] is `-`. */
export const projectDir = (configDir: string, cwd: string) =>
  join(configDir, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'))

export const claudeConfigDir = (env: Record<string, string | undefined>) =>
  env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude')

/** A turn's blocks as the CLI writes them: a tool call under the name the model knows it by. */
const asWritten = (content: HistoryTurn['content']) =>
  typeof content === 'string'
    ? content
    : content.map((block) =>
        block.type === 'tool_use' ? { ...block, name: `${TOOL_PREFIX}${block.name}` } : block
      )

/** The results a user turn carries, as the CLI notes them beside the message. */
const toolUseResult = (content: HistoryTurn['content']) => {
  if (typeof content === 'string') return undefined
  const results = content.flatMap((b) => (b.type === 'tool_result' ? [b.content] : []))
  return results.length > 0 ? results.join('\n') : undefined
}

/** Consecutive turns of one role become one message, as the Messages API wants them. */
export const mergeTurns = (history: readonly HistoryTurn[]): HistoryTurn[] => {
  const merged: HistoryTurn[] = []
  for (const turn of history) {
    const last = merged.at(-1)
    if (last && last.role === turn.role) {
      last.content = [...blocksOf(last.content), ...blocksOf(turn.content)]
    } else {
      merged.push({ role: turn.role, content: turn.content })
    }
  }
  return merged
}

/** Writes the session; returns its id and a function that removes it. */
export const writeHistorySession = async (options: {
  configDir: string
  cwd: string
  history: readonly HistoryTurn[]
  version?: string
  /** The session's id; default a new one. */
  sessionId?: string
}) => {
  const sessionId = options.sessionId ?? randomUUID()
  const dir = projectDir(options.configDir, options.cwd)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `${sessionId}.jsonl`)
  let parentUuid: string | null = null
  const lines = mergeTurns(options.history).map((turn) => {
    const uuid = randomUUID()
    const message =
      turn.role === 'user'
        ? { role: 'user', content: asWritten(turn.content) }
        : {
            id: `msg_history_${uuid.slice(0, 8)}`,
            type: 'message',
            role: 'assistant',
            model: 'history',
            content: asWritten(blocksOf(turn.content)),
            stop_reason: blocksOf(turn.content).some((b) => b.type === 'tool_use')
              ? 'tool_use'
              : 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          }
    const line = {
      parentUuid,
      isSidechain: false,
      userType: 'external',
      cwd: options.cwd,
      sessionId,
      version: options.version ?? '2.1.330',
      timestamp: new Date().toISOString(),
      type: turn.role,
      message,
      ...(turn.role === 'user' && { toolUseResult: toolUseResult(turn.content) }),
      uuid,
    }
    parentUuid = uuid
    return JSON.stringify(line)
  })
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  return { sessionId, remove: () => rm(file, { force: true }) }
}
