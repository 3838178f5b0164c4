/**
 * The CLI's command line for one run (its environment is process/child-env.ts). Only fixed flags and validated values go
 * on argv (always as `--flag=value`, so nothing can be read as another flag); prompts, system
 * prompts and schemas travel on stdin.
 */
import type { RunRequest } from '../../../contract/runner.js'
import { CLIENT_SERVER } from './client-tools.js'

export type ArgsInput = Pick<
  RunRequest,
  'model' | 'maxTurns' | 'allowedTools' | 'disallowedTools' | 'maxBudgetUsd' | 'effort' | 'thinking'
> & {
  /** `--session-id` for a new persisted session, or `--resume` for an existing one. */
  sessionId?: string
  resume?: boolean
  persist: boolean
  /**
   * For a process that may serve more than one run: keeps the built-in `/clear` (which resets it
   * between runs). Prompts still never run a command (see `userLine`).
   */
  reusable?: boolean
  /** WebFetch without the CLI's domain preflight to claude.ai (the operator's choice). */
  skipWebFetchPreflight?: boolean
}

/** Tools that read files: allowed inside the working directory without a rule, and only there. */
const READ_TOOLS = new Set(['Read', 'Grep', 'Glob', 'LS', 'NotebookRead'])
/** Tools that write files: one `Edit` rule scoped to the working directory covers them all. */
const EDIT_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit'])

/**
 * Permission rules for the tools a run may use. A bare `Read` or `Write` rule would allow any
 * path, so file tools get none (reads) or one rule scoped to the run's directory (writes); other
 * tools (Bash, web tools) are allowed as such, and Bash only ever runs in a sandbox.
 */
export const allowRules = (tools: readonly string[]) => {
  const rules = tools.filter((tool) => !READ_TOOLS.has(tool) && !EDIT_TOOLS.has(tool))
  if (tools.some((tool) => EDIT_TOOLS.has(tool))) rules.push('Edit(./**)')
  return rules
}

export const buildCliArgs = (input: ArgsInput): string[] => {
  const tools = input.allowedTools ?? []
  const args = [
    '-p',
    '--input-format=stream-json',
    '--output-format=stream-json',
    '--verbose',
    '--include-partial-messages',
    // Only our flags configure the run: no user/project settings, MCP servers or slash commands.
    '--setting-sources=',
    '--strict-mcp-config',
    ...(input.reusable ? [] : ['--disable-slash-commands']),
    // File tools reach only the run's own directory (measured on 2.1.330: reads, searches and
    // writes elsewhere, the CLI's config directory included, are refused).
    '--restricted',
    `--tools=${tools.join(',')}`,
  ]
  // The client's tools are allowed as their server's, so the CLI asks us to run them instead of
  // refusing them; the same for every run (a run without them has no such server), so a
  // process started ahead can serve a run with tools, whose list arrives on stdin.
  const allow = [...allowRules(tools), `mcp__${CLIENT_SERVER}`]
  args.push(`--allowedTools=${allow.join(',')}`)
  if (input.skipWebFetchPreflight && tools.includes('WebFetch')) {
    args.push('--settings={"skipWebFetchPreflight":true}')
  }
  if (input.disallowedTools?.length) {
    args.push(`--disallowedTools=${input.disallowedTools.join(',')}`)
  }
  if (input.model) args.push(`--model=${input.model}`)
  if (input.maxTurns !== undefined) args.push(`--max-turns=${input.maxTurns}`)
  if (input.effort) args.push(`--effort=${input.effort}`)
  if (input.thinking) args.push('--thinking=enabled')
  if (input.thinking === 'summarized') args.push('--thinking-display=summarized')
  if (input.maxBudgetUsd !== undefined) args.push(`--max-budget-usd=${input.maxBudgetUsd}`)
  if (input.sessionId) {
    args.push(input.resume ? `--resume=${input.sessionId}` : `--session-id=${input.sessionId}`)
  }
  if (!input.persist) args.push('--no-session-persistence')
  return args
}
