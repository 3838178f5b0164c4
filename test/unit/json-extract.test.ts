/** Finding the JSON in an answer, and refusing text whose shape would block the event loop. */
import { describe, expect, it } from 'vitest'
import { extractJson } from '../../src/lib/json-extract.js'
import { jsonShapeProblem, parseJsonSafely } from '../../src/lib/safe-json.js'

const found = (text: string) => {
  const result = extractJson(text)
  return result.found ? result.value : undefined
}

describe('extractJson', () => {
  it.each([
    ['the whole text', '{"a":1}', { a: 1 }],
    ['a fenced block', 'Sure:\n```json\n{"a": 2}\n```\nDone.', { a: 2 }],
    ['a fence after an empty one', '``` \n```\n```json\n[5]\n```', [5]],
    ['after prose with quotes', 'He said "hi" and {"b": [1,2]} ok', { b: [1, 2] }],
    ['inside an outer array that never closes', 'list: [1, 2, {"c": 3}', { c: 3 }],
    ['inside an outer object that does not parse', '{"bad": [1,2], oops}', [1, 2]],
    ['with brackets inside strings', 'text {"s": "a } tricky ]"} end', { s: 'a } tricky ]' }],
    ['with escaped quotes', 'x {"q": "say \\"hi\\" [ok]"} y', { q: 'say "hi" [ok]' }],
  ])('finds JSON %s', (_, text, value) => {
    expect(found(text)).toEqual(value)
  })

  it.each([
    ['no JSON', 'no json here'],
    ['nothing', '   '],
    ['40,000 unclosed brackets', '['.repeat(40_000)],
    ['JSON nested too deeply to parse safely', `${'['.repeat(500)}${']'.repeat(500)}`],
    ['thousands of unclosed fences', '```\n'.repeat(20_000)],
  ])('finds nothing in %s', (_, text) => {
    expect(extractJson(text)).toEqual({ found: false })
  })
})

describe('parseJsonSafely', () => {
  it('parses ordinary JSON, however large its strings', () => {
    const image = 'A'.repeat(5_000_000)
    expect(parseJsonSafely(JSON.stringify({ images: [{ data: image }] }))).toEqual({
      ok: true,
      value: { images: [{ data: image }] },
    })
  })

  it('refuses deep nesting and huge element counts before parsing', () => {
    expect(jsonShapeProblem('['.repeat(10_000_000))).toBe('too_deep')
    expect(jsonShapeProblem(`[${'0,'.repeat(200_000)}0]`)).toBe('too_many_elements')
    expect(parseJsonSafely('{"a": "[[[[[[[[ inside a string is fine"}')).toMatchObject({ ok: true })
    expect(parseJsonSafely('{"a":')).toEqual({ ok: false, reason: 'invalid' })
  })
})
