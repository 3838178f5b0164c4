/**
 * What the OpenAI and Anthropic tool options become. The CLI has no tool-choice setting, so a
 * required or named tool is an instruction appended to the system prompt (and a named tool the
 * only one offered); `none` offers no tools at all.
 */
import type { ClientTool, RunRequest } from '../contract/runner.js'

export type ToolChoice = { kind: 'auto' | 'none' | 'required' } | { kind: 'named'; name: string }

/** Tool calls in a run can take a few round trips; each parks the run once. */
export const TOOL_MAX_TURNS = 10

export const toolOptions = (
  tools: ClientTool[],
  choice: ToolChoice = { kind: 'auto' },
  oneAtATime = false
): Pick<RunRequest, 'tools' | 'appendSystemPrompt' | 'maxTurns'> => {
  if (tools.length === 0 || choice.kind === 'none') return {}
  const rules: string[] = []
  let offered = tools
  if (choice.kind === 'required') rules.push('Call one of the tools before you answer.')
  if (choice.kind === 'named') {
    offered = tools.filter((tool) => tool.name === choice.name)
    rules.push(`Call the tool ${choice.name} before you answer.`)
  }
  if (oneAtATime) rules.push('Call at most one tool at a time.')
  return {
    tools: offered,
    maxTurns: TOOL_MAX_TURNS,
    ...(rules.length > 0 && { appendSystemPrompt: rules.join(' ') }),
  }
}
