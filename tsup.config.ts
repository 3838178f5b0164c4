import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'index-node': 'src/index-node.ts',
    node: 'src/node.ts',
    worker: 'src/runtime/worker.ts',
    cli: 'src/runtime/cli.ts',
  },
  format: ['esm'],
  dts: true,
  target: 'node20',
  sourcemap: true,
  clean: true,
})
