/**
 * Finds the JSON in a model's answer: the whole text, else a fenced code block, else the first
 * balanced object or array that parses. The model controls the text, so the work is linear in
 * its length and bounded: every character is scanned a fixed number of times, candidates never
 * overlap (each character reaches the parser at most twice), every parse goes through the shape
 * check of safe-json.ts, and at most MAX_ATTEMPTS candidates are tried.
 */
import { DEFAULT_JSON_LIMITS, parseJsonSafely } from './safe-json.js'

export type Extracted = { found: true; value: unknown } | { found: false }

/** Beyond this, only the whole text is tried (a JSON answer that large is sent bare). */
export const MAX_SEARCH_CHARS = 1024 * 1024
/** Candidates tried after the whole text; a failed parse costs an exception each. */
export const MAX_ATTEMPTS = 64

const NONE: Extracted = { found: false }

const tryParse = (text: string): Extracted => {
  const parsed = parseJsonSafely(text)
  return parsed.ok ? { found: true, value: parsed.value } : NONE
}

/** Only an object or an array can be a candidate (a fenced `42` is not worth an exception). */
const startsLikeJson = (text: string) => text.startsWith('{') || text.startsWith('[')

const OPENING_LINE = /[\w-]*[ \t]*\r?\n/y

/** The contents of ``` fences, paired in order: one pass over the fence positions. */
const fencedBlocks = function* (text: string): Generator<string> {
  let open = text.indexOf('```')
  while (open !== -1) {
    // The info string (e.g. `json`) is the rest of the opening line.
    OPENING_LINE.lastIndex = open + 3
    if (!OPENING_LINE.test(text)) {
      open = text.indexOf('```', open + 3)
      continue
    }
    const lineEnd = OPENING_LINE.lastIndex - 1
    const close = text.indexOf('```', lineEnd + 1)
    if (close === -1) return
    yield text.slice(lineEnd + 1, close)
    open = text.indexOf('```', close + 3)
  }
}

const CLOSER: Record<string, string> = { '{': '}', '[': ']' }

/**
 * Balanced `{…}` / `[…]` spans, left to right, in one pass. Quotes count only inside brackets,
 * so prose quotes before the JSON do not confuse it. After each outer span, and when one never
 * closes (or closes with the wrong bracket), the complete spans directly inside it follow.
 */
const balancedSpans = function* (text: string): Generator<string> {
  const stack: string[] = []
  let start = 0
  let inString = false
  let children: Array<[number, number]> = []
  let childStart = 0
  const abandon = function* () {
    for (const [from, to] of children) yield text.slice(from, to)
    stack.length = 0
    children = []
  }
  let skipping = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
      continue
    }
    if (skipping > 0) {
      if (ch === '"') inString = true
      else if (ch === '{' || ch === '[') skipping++
      else if (ch === '}' || ch === ']') skipping--
      continue
    }
    if (ch === '"' && stack.length > 0) inString = true
    else if (ch === '{' || ch === '[') {
      // Deeper than anything parseJsonSafely accepts: no part of this region is a candidate,
      // so it is skipped to its end with a counter (no stack, whatever its depth).
      if (stack.length >= DEFAULT_JSON_LIMITS.maxDepth) {
        skipping = stack.length + 1
        stack.length = 0
        children = []
        continue
      }
      if (stack.length === 0) start = i
      else if (stack.length === 1) childStart = i
      stack.push(CLOSER[ch] as string)
    } else if (ch === '}' || ch === ']') {
      if (stack.length === 0) continue
      if (stack.pop() !== ch) {
        yield* abandon()
        continue
      }
      if (stack.length === 1) children.push([childStart, i + 1])
      if (stack.length === 0) {
        // The span, then (should it not parse) the complete spans directly inside it.
        yield text.slice(start, i + 1)
        yield* abandon()
      }
    }
  }
  yield* abandon()
}

export const extractJson = (text: string): Extracted => {
  const trimmed = text.trim()
  if (trimmed === '') return NONE
  const whole = tryParse(trimmed)
  if (whole.found || trimmed.length > MAX_SEARCH_CHARS) return whole
  let attempts = 0
  for (const block of fencedBlocks(trimmed)) {
    const body = block.trim()
    if (!startsLikeJson(body)) continue
    if (++attempts > MAX_ATTEMPTS) return NONE
    const fenced = tryParse(body)
    if (fenced.found) return fenced
  }
  for (const span of balancedSpans(trimmed)) {
    if (++attempts > MAX_ATTEMPTS) return NONE
    const candidate = tryParse(span)
    if (candidate.found) return candidate
  }
  return NONE
}
