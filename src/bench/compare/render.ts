/**
 * Headless chart rendering: Vega-Lite compiles a spec to Vega, and a Vega View with no renderer
 * draws it to an SVG string in Node (no canvas, no browser, no native code). Warnings from the
 * compiler and the view are collected, not printed, so the caller decides what to show.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** An SVG drawing and the warnings raised while making it. */
export interface RenderedSvg {
  /** The SVG document (no XML declaration: it can be inlined in HTML as is). */
  readonly svg: string;
  /** Warnings from Vega-Lite and Vega. */
  readonly warnings: readonly string[];
}

/** A Vega logger that keeps warnings and errors in `out` instead of printing them. */
function collectingLogger(out: string[]): vega.LoggerInterface {
  return vega.logger(vega.Warn, undefined, (_method, level, args) => {
    out.push(`${level} ${args.map(String).join(' ')}`);
  });
}

/**
 * Element ids inside the SVG (clip paths, gradients) prefixed with `prefix`, so that several
 * drawings inlined in one HTML page never share an id (the page would clip one by another's path).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}${id}"`);
}

/** Renders a Vega-Lite spec to SVG; `idPrefix` namespaces the element ids (see `prefixSvgIds`). */
export async function renderSvg(spec: TopLevelSpec, idPrefix = ''): Promise<RenderedSvg> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return { svg: idPrefix === '' ? svg : prefixSvgIds(svg, idPrefix), warnings };
  } finally {
    view.finalize();
  }
}
