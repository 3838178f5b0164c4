/**
 * Global setup: the chat page's files, built as `npm run build` builds them, into a folder of the
 * test run's own (tests that run `npm run build` clean dist/ while others run).
 */
import type { TestProject } from 'vitest/node'
import { removeDir, tempDir } from '../../dev-tools/cli-env.js'
import { buildWeb } from '../../scripts/build-web.js'

export default async function setup(project: TestProject) {
  const dir = await tempDir('web')
  await buildWeb(dir)
  project.provide('webDir', dir)
  return () => removeDir(dir)
}

declare module 'vitest' {
  export interface ProvidedContext {
    webDir: string
  }
}
