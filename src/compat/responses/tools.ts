/**
 * A Responses request's tools as the run's: `function` tools are the client's own; a `namespace`
 * group's functions are too, flattened to `<namespace>__<name>` (and split back in the calls the
 * client gets); a hosted tool with a Claude Code counterpart (`web_search` → WebSearch) is that
 * tool when the key and the server allow it. Anything else is left out and named in a header.
 */
import type { ClientTool } from '../../contract/runner.js'
import { badRequest } from '../shared.js'
import type { ToolChoice } from '../tool-choice.js'
import type { ResponsesRequest } from './schemas.js'

type Tool = NonNullable<ResponsesRequest['tools']>[number]
type Fn = { type: 'function'; name: string; description?: unknown; parameters?: unknown }

/** Between a namespace and its function's name (tool names allow `[A-Za-z0-9_-]`). */
const JOIN = '__'

/** Hosted tools Claude Code has a tool of its own for. */
const HOSTED: Record<string, string> = {
  web_search: 'WebSearch',
  web_search_preview: 'WebSearch',
}

const isFunction = (tool: unknown): tool is Fn =>
  typeof tool === 'object' &&
  tool !== null &&
  (tool as Fn).type === 'function' &&
  typeof (tool as Fn).name === 'string'

/** A namespace's functions, or none when it is not a group of functions. */
const membersOf = (tool: Tool): Fn[] => {
  if (tool.type !== 'namespace' || typeof tool.name !== 'string') return []
  const members = (tool as { tools?: unknown }).tools
  return Array.isArray(members) && members.length > 0 && members.every(isFunction) ? members : []
}

const asClientTool = (tool: Fn, name = tool.name): ClientTool => ({
  name,
  ...(typeof tool.description === 'string' && { description: tool.description }),
  inputSchema: (tool.parameters as Record<string, unknown> | null | undefined) ?? {
    type: 'object',
    properties: {},
  },
})

/** The client's tools the run offers: functions, and namespaced functions under joined names. */
export const clientTools = (body: ResponsesRequest): ClientTool[] =>
  (body.tools ?? []).flatMap((tool) =>
    isFunction(tool)
      ? [asClientTool(tool)]
      : membersOf(tool).map((fn) => asClientTool(fn, `${tool.name}${JOIN}${fn.name}`))
  )

/** Claude Code's own tools the hosted ones map to, of those `available` (the key's and server's). */
export const hostedTools = (body: ResponsesRequest, available: readonly string[]) => [
  ...new Set(
    (body.tools ?? []).flatMap((tool) => {
      const mapped = HOSTED[tool.type]
      return mapped && available.includes(mapped) ? [mapped] : []
    })
  ),
]

/** Tools this server cannot serve here: left out, and named in a header. */
export const leftOutTools = (body: ResponsesRequest, available: readonly string[]) =>
  (body.tools ?? []).flatMap((tool) => {
    if (isFunction(tool) || membersOf(tool).length > 0) return []
    const mapped = HOSTED[tool.type]
    if (mapped && available.includes(mapped)) return []
    return [tool.name ? `${tool.type}:${tool.name}` : tool.type]
  })

/** The run's name of a call the client names (a namespaced one joined). */
export const runName = (call: { name: string; namespace?: unknown }) =>
  typeof call.namespace === 'string' && call.namespace
    ? `${call.namespace}${JOIN}${call.name}`
    : call.name

/** How the client names a call of the run's tool `name`: split when it is a namespaced one. */
export const createCallNames = (body: ResponsesRequest) => {
  const split = new Map<string, { name: string; namespace: string }>()
  for (const tool of body.tools ?? [])
    for (const fn of membersOf(tool))
      split.set(`${tool.name}${JOIN}${fn.name}`, { name: fn.name, namespace: tool.name as string })
  return (name: string): { name: string; namespace?: string } => split.get(name) ?? { name }
}

export const choiceOf = (body: ResponsesRequest): ToolChoice | undefined => {
  const choice = body.tool_choice
  if (!choice) return undefined
  if (typeof choice === 'string') return { kind: choice }
  if (choice.type !== 'function' || typeof choice.name !== 'string') return undefined
  const name = runName(choice as { name: string; namespace?: unknown })
  if (!clientTools(body).some((tool) => tool.name === name)) {
    throw badRequest(`tool_choice: no function named ${choice.name} in tools`)
  }
  return { kind: 'named', name }
}
