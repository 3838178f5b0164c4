/**
 * The chat page's built files (`dist/web`, made by `npm run build`), read from disk. Found through
 * the package's own name, so the same code works from the sources, from `dist/` and installed.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { WebAssets } from '../../web/routes.js'

export const builtWebDir = () =>
  join(
    dirname(createRequire(import.meta.url).resolve('claude-code-api/package.json')),
    'dist',
    'web'
  )

export const createDirectoryAssets = (dir = builtWebDir()): WebAssets => ({
  read: async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
  },
})
