/** The smallest PDF the mock takes as a document, base64. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n').toString(
  'base64'
)
