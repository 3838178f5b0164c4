/**
 * The shape of `src/`, checked: no import circles (type imports included: they tie modules
 * together for a reader as much as values do), no source file over 300 lines, at most 8 files
 * loose in the Node adapter, and no `node:` import in the runtime-agnostic core.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : []
  })

const IMPORT = /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g

const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((m) =>
    resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))
  )

/** Every cycle's members, found by a depth-first walk (Tarjan's strongly connected components). */
const cycles = (graph: Map<string, string[]>) => {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (node: string) => {
    indices.set(node, index)
    low.set(node, index++)
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!indices.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number))
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number))
      }
    }
    if (low.get(node) === indices.get(node)) {
      const members: string[] = []
      let member: string | undefined
      do {
        member = stack.pop() as string
        members.push(relative(SRC, member))
      } while (member !== node)
      if (members.length > 1) found.push(members.sort())
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

describe('src/ architecture', () => {
  const files = filesUnder(SRC)

  it('has no import circles', () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]))
    expect(cycles(graph)).toEqual([])
  })

  it('keeps every source file at 300 lines or fewer', () => {
    const long = files
      .map((file) => [relative(SRC, file), readFileSync(file, 'utf8').split('\n').length - 1])
      .filter(([, lines]) => (lines as number) > 300)
    expect(long).toEqual([])
  })

  it('keeps at most 8 files loose in the Node adapter', () => {
    const loose = readdirSync(join(SRC, 'adapters/node')).filter((n) => n.endsWith('.ts'))
    expect(loose.length).toBeLessThanOrEqual(8)
  })

  it('keeps node: imports out of the runtime-agnostic core', () => {
    const nodeOnly = [
      'adapters/node/',
      'runtime/node/',
      'cli/',
      'exports/node.ts',
      'exports/index-node.ts',
    ]
    const core = files.filter((file) => !nodeOnly.some((p) => relative(SRC, file).startsWith(p)))
    const offenders = core.filter((file) => /from\s*['"]node:/.test(readFileSync(file, 'utf8')))
    expect(offenders.map((file) => relative(SRC, file))).toEqual([])
  })

  it('keeps the contract on the ground floor: it imports valibot and itself, nothing else', () => {
    const contract = files.filter((file) => relative(SRC, file).startsWith('contract/'))
    expect(contract.length).toBeGreaterThan(5)
    const upward = contract.flatMap((file) =>
      importsOf(file)
        .filter((target) => !relative(SRC, target).startsWith('contract/'))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`)
    )
    expect(upward).toEqual([])
    const packages = contract.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from\s*['"]([^.'"][^'"]*)['"]/g)].map((m) => m[1])
    )
    expect([...new Set(packages)]).toEqual(['valibot'])
  })

  it('keeps the core free of runtimes and adapters: only entry points and the command line reach them', () => {
    const edge = ['runtime/', 'adapters/', 'cli/', 'exports/']
    const core = files.filter((file) => !edge.some((p) => relative(SRC, file).startsWith(p)))
    const reaching = core.flatMap((file) =>
      importsOf(file)
        .filter((target) => /^(runtime|adapters)\//.test(relative(SRC, target)))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`)
    )
    expect(reaching).toEqual([])
  })
})
