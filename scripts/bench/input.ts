/**
 * Input that a client or the model controls, at the sizes they can send: the time each takes is
 * time the event loop is blocked. An answer is at most 128k tokens (~512 KB); a body is at most
 * MAX_BODY_BYTES (20 MiB by default).
 */
import { extractJson } from '../../src/lib/json-extract.js'
import { parseJsonSafely } from '../../src/lib/safe-json.js'

/** A flat copy, as text arriving from a socket is (a generated string is flattened lazily). */
const flat = (text: string) => Buffer.from(text).toString()

const blocked = (work: () => unknown) => {
  const started = performance.now()
  work()
  return performance.now() - started
}
const worstOf3 = (work: () => unknown) => Math.max(...[0, 1, 2].map(() => blocked(work)))

const answers: Record<string, () => string> = {
  "512 KB of '['": () => '['.repeat(512 * 1024),
  '128k unclosed fences': () => '```\n'.repeat(128 * 1024),
  "170k '[x]' spans": () => '[x]'.repeat(170 * 1024),
  '512 KB of prose with quotes': () => 'a "quoted" word '.repeat(32 * 1024),
  '512 KB nested 100 deep': () => `${'['.repeat(100)}${'0,'.repeat(256 * 1024)}0${']'.repeat(100)}`,
}
const bodies: Record<string, () => string> = {
  "20 MiB of '['": () => '['.repeat(20 * 2 ** 20),
  '20 MiB of flat elements': () => `[${'0,'.repeat(10 * 2 ** 20)}0]`,
}

export const inputBlocking = () => {
  // A body at the size limit costs its plain parse (a few ms per MiB): linear, whatever it
  // holds. Crafted structure must cost nothing more than that.
  const image = flat(JSON.stringify({ prompt: 'x', images: [{ data: 'A'.repeat(20 * 2 ** 20) }] }))
  const scale = worstOf3(() => parseJsonSafely(image))
  const rows: Array<{ name: string; ms: number }> = []
  for (const [name, make] of Object.entries(answers)) {
    const text = flat(make())
    rows.push({ name: `JSON from an answer, ${name}`, ms: worstOf3(() => extractJson(text)) })
  }
  for (const [name, make] of Object.entries(bodies)) {
    const text = flat(make())
    rows.push({ name: `request body, ${name}`, ms: worstOf3(() => parseJsonSafely(text)) })
  }
  return { scale, rows }
}
