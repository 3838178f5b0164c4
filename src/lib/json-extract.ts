/**
 * Finds the JSON in a model's answer: the whole text, else a fenced code block, else the first
 * balanced object or array that parses.
 */

export type Extracted = { found: true; value: unknown } | { found: false }

const tryParse = (text: string): Extracted => {
  try {
    return { found: true, value: JSON.parse(text) }
  } catch {
    return { found: false }
  }
}

/** The end index (exclusive) of the balanced value starting at `start`, or -1. */
const balancedEnd = (text: string, start: number): number => {
  const stack: string[] = []
  let inString = false
  for (let i = start; i < text.length; i++) {
    const ch = text[i]
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
      continue
    }
    if (ch === '"') inString = true
    else if (ch === '{' || ch === '[') stack.push(ch === '{' ? '}' : ']')
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return -1
      if (stack.length === 0) return i + 1
    }
  }
  return -1
}

export const extractJson = (text: string): Extracted => {
  const trimmed = text.trim()
  if (trimmed === '') return { found: false }
  const whole = tryParse(trimmed)
  if (whole.found) return whole

  for (const match of trimmed.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n([\s\S]*?)```/g)) {
    const fenced = tryParse(match[1]?.trim() ?? '')
    if (fenced.found) return fenced
  }

  for (let i = 0; i < trimmed.length; i++) {
    const ch = trimmed[i]
    if (ch !== '{' && ch !== '[') continue
    const end = balancedEnd(trimmed, i)
    if (end === -1) continue
    const candidate = tryParse(trimmed.slice(i, end))
    if (candidate.found) return candidate
  }
  return { found: false }
}
