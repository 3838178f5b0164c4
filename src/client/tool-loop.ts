/**
 * The tool loop for library users: offer the model your functions, run the ones it calls, send
 * back what they return (a thrown error goes back as an error result, so the model can react),
 * and repeat until it answers.
 */

import type { ToolCall, ToolResult } from '../contract/runner.js'
import { UsageError } from '../errors/index.js'
import type { CallOptions, ChatResult, QueryInput } from './types.js'

export type ToolFunction = {
  description?: string
  /** JSON Schema of the input the model passes. */
  inputSchema: Record<string, unknown>
  /** Its return value goes to the model: a string as is, anything else as JSON. */
  run: (input: never, call: ToolCall) => unknown
}

export type ToolFunctions = Record<string, ToolFunction>

export type ToolLoopOptions = CallOptions & {
  /** Rounds of tool calls before giving up. Default 10. */
  maxRounds?: number
}

const outputOf = (value: unknown) =>
  typeof value === 'string' ? value : JSON.stringify(value ?? null)

const callTool = async (functions: ToolFunctions, call: ToolCall): Promise<ToolResult> => {
  const tool = functions[call.name]
  try {
    if (!tool) throw new Error(`No tool named ${call.name}`)
    return { toolUseId: call.id, content: outputOf(await tool.run(call.input as never, call)) }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { toolUseId: call.id, content: message, isError: true }
  }
}

export const runToolLoop = async (
  query: (input: QueryInput) => Promise<ChatResult>,
  input: string | QueryInput,
  functions: ToolFunctions,
  { maxRounds = 10 }: ToolLoopOptions = {}
): Promise<ChatResult> => {
  const tools = Object.entries(functions).map(([name, tool]) => ({
    name,
    ...(tool.description && { description: tool.description }),
    inputSchema: tool.inputSchema,
  }))
  let result = await query({ ...(typeof input === 'string' ? { prompt: input } : input), tools })
  for (let round = 1; result.toolCalls?.length; round++) {
    if (round > maxRounds) {
      throw new UsageError(`The model was still calling tools after ${maxRounds} rounds`)
    }
    const toolResults = await Promise.all(result.toolCalls.map((call) => callTool(functions, call)))
    result = await query({ prompt: '', toolResults })
  }
  return result
}
