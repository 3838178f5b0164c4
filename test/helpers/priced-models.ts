/** Models with list prices (USD per million tokens), as the CLI describes them, for charge tests. */
import type { ModelInfo } from '../../src/contract/runner.js'

export const HAIKU: ModelInfo = {
  id: 'haiku',
  api_id: 'claude-haiku-5-5',
  name: 'Haiku',
  description: '',
  input_price: '$1',
  output_price: '$5',
}

export const OPUS: ModelInfo = {
  id: 'opus',
  api_id: 'claude-opus-5-5',
  name: 'Opus',
  description: '',
  input_price: '$5',
  output_price: '$25',
}
