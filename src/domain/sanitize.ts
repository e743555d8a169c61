import sanitizeHtml from 'sanitize-html';

/**
 * The HTML an entry may keep: rich text, tables, code, links and pasted images.
 * Scripts, event handlers, styles that can load content and foreign embeds are removed.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img',
    'span',
    'del',
    'ins',
    'sub',
    'sup',
    'u',
    's',
    'font',
    'colgroup',
    'col',
  ],
  allowedAttributes: {
    ...sanitizeHtml.defaults.allowedAttributes,
    '*': ['class', 'title', 'data-entity-id', 'data-entity-type', 'data-entity-value'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    td: ['colspan', 'rowspan'],
    th: ['colspan', 'rowspan'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'ftp'],
  allowedSchemesByTag: { img: ['http', 'https', 'data'] },
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer' }) },
};

export function sanitizeEntryHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
