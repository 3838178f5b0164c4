/**
 * `JSON.parse` for text that a client or the model controls. Parsing is linear, but its constant
 * grows with structure: deeply nested or element-heavy text (20 MiB of `[`, millions of `[]`)
 * blocks the event loop for seconds. A quick pass first checks the nesting depth and counts the
 * elements, skipping strings with `indexOf` (so large base64 strings cost next to nothing), and
 * refuses text beyond the limits before `JSON.parse` sees it.
 */

export type JsonLimits = {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number
  /** Most elements (values in arrays, members of objects). */
  maxElements: number
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 128, maxElements: 100_000 }

export type SafeParse =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'invalid' | 'too_deep' | 'too_many_elements' }

const QUOTE = 34
const BACKSLASH = 92

/** The index of the quote that closes the string opened at `start`, or -1. */
const stringEnd = (text: string, start: number) => {
  let end = start
  for (;;) {
    end = text.indexOf('"', end + 1)
    if (end === -1) return -1
    let backslashes = 0
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return end
  }
}

/** Checks the shape of `text` without building anything; undefined when within the limits. */
export const jsonShapeProblem = (
  text: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS
): 'too_deep' | 'too_many_elements' | undefined => {
  let depth = 0
  let elements = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE) {
      const end = stringEnd(text, i)
      if (end === -1) return undefined // unterminated: JSON.parse fails fast on it
      i = end
    } else if (code === 91 || code === 123) {
      // [ {
      if (++depth > limits.maxDepth) return 'too_deep'
      if (++elements > limits.maxElements) return 'too_many_elements'
    } else if (code === 93 || code === 125) {
      depth--
    } else if (code === 44) {
      // , separates elements
      if (++elements > limits.maxElements) return 'too_many_elements'
    }
  }
  return undefined
}

export const parseJsonSafely = (text: string, limits = DEFAULT_JSON_LIMITS): SafeParse => {
  const problem = jsonShapeProblem(text, limits)
  if (problem) return { ok: false, reason: problem }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, reason: 'invalid' }
  }
}
