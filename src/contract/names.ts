/** Model and tool names: which ones a request may ask for (they end up on the CLI's argv). */

/** Aliases the CLI resolves itself; ids change with CLI versions, so we never hard-code them. */
export const MODEL_ALIASES = ['haiku', 'sonnet', 'opus', 'fable', 'default'] as const

/**
 * A model id of a safe shape: letters, digits and `.-_:[]`, not starting with `-`, so it can
 * never be read as a CLI flag.
 */
export const MODEL_PATTERN = /^[A-Za-z0-9_.:[\]][A-Za-z0-9_.:[\]-]{0,127}$/

export const isSafeModel = (model: string) => MODEL_PATTERN.test(model)

/** Built-in tool names as the CLI knows them (`Bash`, `Read`, `WebFetch`, …). */
export const TOOL_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/** A Claude login's name, as a key's policy and the logins file call it. */
export const LOGIN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/
