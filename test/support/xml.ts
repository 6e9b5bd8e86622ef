/**
 * A strict little XML reader for tests of generated SVG: it checks well-formedness (one root,
 * every tag closed in order, quoted attributes, no duplicate attribute, no stray `<` or `&`) and
 * returns the element tree, so a test can count marks. Throws on the first problem.
 */

/** An element: its name, attributes and child elements (text is checked, not kept). */
export interface XmlElement {
  /** Tag name. */
  readonly name: string;
  /** Attributes by name. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Child elements in order. */
  readonly children: XmlElement[];
}

/** A tag, a comment, a declaration, or text up to the next `<`. */
const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|[^<]+/gy;
/** One attribute inside a tag. */
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
/** An entity or character reference. */
const ENTITY = /&(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);/g;

/** Throws unless every `&` in `text` starts a reference. */
function checkText(text: string, where: number): void {
  if (text.replace(ENTITY, '').includes('&')) throw new Error(`bare & near offset ${where}`);
}

/** Parses `xml` into its root element; throws when it is not well-formed. */
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < xml.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(xml);
    if (!m) throw new Error(`malformed markup at offset ${at}: ${xml.slice(at, at + 40)}`);
    const [tok, close, name, rawAttrs, selfClose] = m;
    if (tok.startsWith('<!--') || tok.startsWith('<?')) continue;
    if (name === undefined) {
      if (stack.length === 0 && tok.trim() !== '') throw new Error(`text outside the root at offset ${at}`);
      checkText(tok, at);
      continue;
    }
    if (close) {
      const open = stack.pop();
      if (open?.name !== name)
        throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at offset ${at}`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (rawAttrs ?? '').matchAll(ATTR)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]} at offset ${at}`);
      const value = a[2] ?? a[3] ?? '';
      checkText(value, at);
      attrs[a[1]!] = value;
    }
    const el: XmlElement = { name, attrs, children: [] };
    if (stack.length > 0) stack.at(-1)!.children.push(el);
    else if (root === null) root = el;
    else throw new Error(`a second root element at offset ${at}`);
    if (!selfClose) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (root === null) throw new Error('no root element');
  return root;
}

/** Every element under `el` (itself included) that satisfies `pred`, in document order. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = pred(el) ? [el] : [];
  for (const c of el.children) out.push(...findAll(c, pred));
  return out;
}
