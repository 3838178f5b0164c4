/** A line the CLI prints on stdout (stream-json), as parsed JSON. */
import { CliProtocolError } from '../../../errors/index.js'

// biome-ignore lint/suspicious/noExplicitAny: CLI lines are untyped JSON, read defensively.
export type CliMessage = Record<string, any>

export const parseCliLine = (line: string): CliMessage | null => {
  if (line.trim() === '') return null
  try {
    const value: unknown = JSON.parse(line)
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as CliMessage
  } catch {
    // fall through
  }
  throw new CliProtocolError('The Claude Code CLI printed malformed output')
}
