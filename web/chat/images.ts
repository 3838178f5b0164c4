/**
 * Images attached to the next message, from paste, drop or the file picker, read as base64 (the
 * API's image blocks). The limits are the server's: four types, 20 images, 5 MB each.
 */
import { isImageType } from '../../src/contract/run.js'
import type { StoredImage } from './store.js'

export const MAX_IMAGES = 20
const MAX_BYTES = 5 * 1024 * 1024

const readBase64 = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'))
    reader.readAsDataURL(file)
  })

/** Adds the image files among `files`; returns a sentence for each file left out. */
export const addImages = async (files: Iterable<File>, into: StoredImage[]): Promise<string[]> => {
  const problems: string[] = []
  for (const file of files) {
    if (!isImageType(file.type)) {
      problems.push(`${file.name || 'That file'} is not a PNG, JPEG, GIF or WebP image.`)
    } else if (file.size > MAX_BYTES) {
      problems.push(`${file.name || 'That image'} is too large (5 MB at most).`)
    } else if (into.length >= MAX_IMAGES) {
      problems.push(`At most ${MAX_IMAGES} images per message.`)
      break
    } else {
      into.push({ media_type: file.type, data: await readBase64(file) })
    }
  }
  return problems
}

export const imageUrl = (image: StoredImage) => `data:${image.media_type};base64,${image.data}`
