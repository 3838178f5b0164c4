/**
 * The settings every runtime reads from its environment (Node's variables, a Worker's bindings),
 * once: each variable's name, default, parsing and the message a bad value gets. The Node server
 * (runtime/node/config.ts) and the Worker (runtime/worker/config.ts) read these with the same
 * schema, so the same bad value is the same error in both. What only one runtime has (a port, a
 * keys file; a usage lease) is read beside it, the same way.
 */
import * as v from 'valibot'
import { ConfigError } from '../errors/index.js'
import { parseOrigins } from '../http/cors.js'

export type Env = Record<string, string | undefined>

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const

/** A comma-separated list; the first entry that fails `ok` is named in the message. */
export const listOf = (name: string, ok: (entry: string) => boolean, what: string) =>
  v.pipe(
    v.optional(v.string(), ''),
    v.transform((raw) =>
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
    ),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return
      const bad = dataset.value.find((entry) => !ok(entry))
      if (bad !== undefined) addIssue({ message: `${name} must ${what} (got "${bad}")` })
    })
  )

/** On or off: `1`, `true`, `yes` turn it on; anything else (or nothing) leaves it off. */
export const flag = v.pipe(
  v.optional(v.string(), ''),
  v.transform((raw) => /^(1|true|yes)$/i.test(raw))
)

const isHttpUrl = (url: string) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol)

export const SharedSettings = v.object({
  LOG_LEVEL: v.optional(
    v.picklist(
      LOG_LEVELS,
      (issue) => `LOG_LEVEL must be debug, info, warn, error or silent (got "${issue.input}")`
    ),
    'info'
  ),
  /** Runner hosts to forward runs to (a Node server then runs no CLI itself). */
  RUNNER_URLS: listOf('RUNNER_URLS', isHttpUrl, 'list http(s) URLs separated by commas'),
  RUNNER_TOKEN: v.optional(v.string()),
  /** More keys: comma-separated SHA-256 hashes, optionally `hash:name`. */
  API_KEY_HASHES: v.optional(v.string()),
  API_AUTH_DISABLED: flag,
  CORS_ORIGINS: v.pipe(
    v.optional(v.string(), ''),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const { origins, bad } = parseOrigins(dataset.value)
      if (bad === undefined) return origins
      addIssue({
        message: `CORS_ORIGINS must list origins like https://app.example.com, or * (got "${bad}")`,
      })
      return NEVER
    })
  ),
})
export type SharedSettings = v.InferOutput<typeof SharedSettings>

/**
 * Reads `schema`'s variables from `env` (an empty value is no value); a bad one is a
 * ConfigError naming it, as the schema words it.
 */
export const readSettings = <S extends v.ObjectSchema<v.ObjectEntries, undefined>>(
  schema: S,
  env: Env
): v.InferOutput<S> => {
  const given = Object.fromEntries(
    Object.keys(schema.entries).flatMap((name) => (env[name] ? [[name, env[name]]] : []))
  )
  const parsed = v.safeParse(schema, given)
  if (parsed.success) return parsed.output
  const [issue] = parsed.issues
  const name = v.getDotPath(issue) ?? ''
  throw new ConfigError(
    issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`
  )
}
