import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/exports/index.ts',
    'index-node': 'src/exports/index-node.ts',
    node: 'src/exports/node.ts',
    worker: 'src/runtime/worker/entry.ts',
    cli: 'src/cli/index.ts',
  },
  format: ['esm'],
  dts: true,
  target: 'node20',
  sourcemap: true,
  clean: true,
})
