/**
 * Builds the chat page into dist/web: one minified script and one stylesheet, named by a hash of
 * their content, and the page naming them. Fails when script + style exceed the size budget
 * (gzipped), so the page stays small.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const WEB_BUDGET_BYTES = 150 * 1024

const bundle = async (entry: string) => {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`)
  return file.contents
}

const hashed = (name: string, ext: string, contents: Uint8Array) =>
  `${name}-${createHash('sha256').update(contents).digest('hex').slice(0, 10)}.${ext}`

export const buildWeb = async (outDir = join(ROOT, 'dist', 'web')) => {
  const [script, style, template] = await Promise.all([
    bundle('web/chat/main.ts'),
    bundle('web/chat/style.css'),
    readFile(join(ROOT, 'web/chat/index.html'), 'utf8'),
  ])
  const files = {
    script: hashed('chat', 'js', script),
    style: hashed('chat', 'css', style),
  }
  const page = template.replace('{{script}}', files.script).replace('{{style}}', files.style)
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  await Promise.all([
    writeFile(join(outDir, files.script), script),
    writeFile(join(outDir, files.style), style),
    writeFile(join(outDir, 'chat.html'), page),
  ])
  const gzipped = gzipSync(script).length + gzipSync(style).length
  return { outDir, files, gzipped }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { files, gzipped } = await buildWeb()
  const kb = (gzipped / 1024).toFixed(1)
  if (gzipped > WEB_BUDGET_BYTES) {
    console.error(`chat page: ${kb} KB gzipped, over the ${WEB_BUDGET_BYTES / 1024} KB budget`)
    process.exit(1)
  }
  console.log(`chat page: ${files.script}, ${files.style}: ${kb} KB gzipped (budget 150 KB)`)
}
