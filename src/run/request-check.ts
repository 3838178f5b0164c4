/** Checks every run gets before anything is spent on it, whoever asks (HTTP, library, host). */
import { ValidationError } from '../errors.js'
import type { RunRequest } from '../runner.js'

/** True when content has no image and no text but white space. */
export const isBlankContent = (content: RunRequest['prompt']) =>
  typeof content === 'string'
    ? content.trim() === ''
    : content.every((block) => block.type === 'text' && block.text.trim() === '')

/** A blank prompt would reach the model as "(no content)": a billed call for nothing. */
export const assertRunnable = (request: RunRequest) => {
  // Tool results continue a parked run: they are the input, and the prompt is not sent.
  if (!request.toolResults?.length && isBlankContent(request.prompt)) {
    throw new ValidationError('prompt: is empty; send some text or an image', {
      errors: [{ field: 'prompt', message: 'is empty' }],
    })
  }
}
