/**
 * What a compatible endpoint knows of its request's fields, read from the valibot schema that
 * validates it, never kept beside it by hand: every entry is a field it takes, and an entry
 * marked `ignored` is accepted so clients work but not honoured (the CLI has no such knob),
 * named in `x-ignored-params`. A new field is one schema entry.
 */
import * as v from 'valibot'

/** Marks a field that is accepted but has no bearing on the run. */
export const ignored = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(schema, v.metadata({ ignored: true }))

export type RequestFields = { known: ReadonlySet<string>; ignored: readonly string[] }

export const fieldsOf = (schema: { entries: v.ObjectEntries }): RequestFields => {
  const entries = Object.entries(schema.entries)
  return {
    known: new Set(entries.map(([name]) => name)),
    ignored: entries
      .filter(([, entry]) => (v.getMetadata(entry) as { ignored?: boolean }).ignored === true)
      .map(([name]) => name),
  }
}
