/** The HTML and SVG report of `bench compare`, rendered headless from a fixture comparison. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  type CompareResult,
  compareCharts,
  type RenderedReport,
  renderCompareReport,
  writeCompareReport,
} from '../../src/bench/compare/index.js';
import { prefixSvgIds } from '../../src/bench/compare/render.js';
import { escapeHtml } from '../../src/bench/compare/report.js';
import { compareFixture } from '../support/compare-fixture.js';
import { findAll, parseXml, type XmlElement } from '../support/xml.js';

/** The marks of one kind (`rect`, `line`, `rule`, `symbol`, ...) drawn as data, not as axes or legends. */
function dataMarks(svg: XmlElement, kind: string): XmlElement[] {
  const groups = findAll(svg, (e) => (e.attrs.class ?? '').startsWith(`mark-${kind} role-mark`));
  return groups.flatMap((g) => g.children);
}

/** All text drawn in an SVG. */
function texts(svgText: string): string[] {
  return [...svgText.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('report', () => {
  const fixture = compareFixture();
  let report: RenderedReport;
  before(async () => {
    report = await renderCompareReport(fixture);
  });

  it('draws every chart as well-formed SVG with no warning and no NaN', () => {
    assert.deepEqual(
      report.charts.map((c) => c.name),
      ['throughput', 'latency', 'cost', 'traffic', 'kills'],
    );
    assert.deepEqual(report.warnings, []);
    for (const c of report.charts) {
      const root = parseXml(c.svg);
      assert.equal(root.name, 'svg', c.name);
      assert.equal(root.attrs.xmlns, 'http://www.w3.org/2000/svg');
      assert.ok(Number(root.attrs.width) > 100 && Number(root.attrs.height) > 100, `${c.name} has a size`);
      assert.doesNotMatch(c.svg, /NaN|undefined|Infinity/, c.name);
    }
  });

  it('draws the data: a line per protocol and f, a stacked bar part per run, a bar per run and metric', () => {
    const svg = (name: string) => parseXml(report.charts.find((c) => c.name === name)!.svg);
    assert.equal(dataMarks(svg('throughput'), 'line').length, 2 * 2);
    assert.equal(dataMarks(svg('latency'), 'line').length, 2 * 2 * 3);
    assert.equal(dataMarks(svg('cost'), 'rect').length, fixture.runs.length * 4);
    assert.equal(dataMarks(svg('traffic'), 'rect').length, fixture.runs.length * 2);
    assert.equal(dataMarks(svg('kills'), 'line').length, fixture.kills.length);
    assert.equal(dataMarks(svg('kills'), 'rule').length, fixture.kills.length * 2, 'kill and recovery');
  });

  it('labels what it draws', () => {
    const text = (name: string) => texts(report.charts.find((c) => c.name === name)!.svg);
    assert.ok(text('throughput').includes('committed tx/s'));
    assert.ok(text('throughput').includes('f = 2'));
    assert.ok(['sign', 'verify', 'hash', 'rest'].every((p) => text('cost').includes(p)));
    assert.ok(
      text('kills').some((t) => t.startsWith('pbft f=1 n=4 clients=8 kill leader (replica 0): stall 1.40 s')),
    );
  });

  it('is a self-contained page with the command, versions and machine', () => {
    const h = report.html;
    assert.ok(h.startsWith('<!doctype html>'));
    assert.doesNotMatch(h, /<script|<link|<img|\bsrc=|@import|url\(http/i);
    const external = [...h.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(external)], ['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink']);
    const e = fixture.environment;
    for (const s of [
      e.command,
      e.node,
      e.cpuModel,
      e.os,
      'vega-lite 6.4.3',
      '0123456789ab',
      'Reading this report',
    ]) {
      assert.ok(h.includes(escapeHtml(s)), s);
    }
    assert.equal((h.match(/<svg /g) ?? []).length, 5);
    assert.equal((h.match(/<table>/g) ?? []).length, 3 + 2, 'runs, ratios, kills, environment, calibration');
  });

  it('is deterministic: the same comparison renders the same bytes', async () => {
    const again = await renderCompareReport(compareFixture());
    assert.equal(again.html, report.html);
  });

  it('escapes what it did not write itself', async () => {
    const f: CompareResult = {
      ...fixture,
      environment: { ...fixture.environment, command: 'bftledger bench compare --out "<b>&x</b>"' },
    };
    const r = await renderCompareReport(f);
    assert.ok(r.html.includes('--out &#34;&#60;b&#62;&#38;x&#60;/b&#62;&#34;'));
    assert.ok(!r.html.includes('<b>&x</b>'));
  });

  it('leaves the kill chart out when there were no kill runs, and the run charts when no run completed', () => {
    assert.deepEqual(
      compareCharts({ ...fixture, kills: [] }).map((c) => c.name),
      ['throughput', 'latency', 'cost', 'traffic'],
    );
    assert.deepEqual(
      compareCharts({ ...fixture, runs: [] }).map((c) => c.name),
      ['kills'],
    );
  });

  it('states the load at the end and the workload when they are known', async () => {
    const r = await renderCompareReport({
      ...fixture,
      spec: { ...fixture.spec, workload: 'null', requestBytes: 0, unsignedRequests: true, repeat: 3 },
      loadAverageAtEnd: [9.5, 8, 7],
    });
    assert.ok(r.html.includes('<td class="l">load average at end</td><td class="l">9.50, 8.00, 7.00</td>'));
    assert.ok(r.html.includes('median of 3 repetitions'));
    assert.ok(r.html.includes('null operations with 0-byte payloads, UNSIGNED'));
    assert.ok(!report.html.includes('load average at end'), 'absent when not recorded');
  });

  it('writes the page and one SVG file per chart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bftledger-report-'));
    try {
      const files = await writeCompareReport(fixture, dir);
      assert.equal(files.html, join(dir, 'report.html'));
      assert.equal(readFileSync(files.html, 'utf8'), report.html);
      assert.equal(files.svgs.length, 5);
      for (const path of files.svgs) {
        const text = readFileSync(path, 'utf8');
        assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg'));
        parseXml(text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('namespaces element ids so charts can share a page', () => {
    const svg = '<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>';
    assert.equal(
      prefixSvgIds(svg, 'cost-'),
      '<svg><clipPath id="cost-clip1"/><g clip-path="url(#cost-clip1)"/><use href="#cost-clip1"/></svg>',
    );
  });
});

describe('xml reader used above', () => {
  it('refuses what is not well-formed', () => {
    for (const bad of [
      '<svg><g></svg>',
      '<svg a="1" a="2"/>',
      '<svg>&</svg>',
      '<svg/><svg/>',
      '<svg>',
      'text',
    ]) {
      assert.throws(() => parseXml(bad), Error, bad);
    }
    assert.equal(
      parseXml('<?xml version="1.0"?>\n<svg><!-- c --><g a="&amp;"/>x &lt; y</svg>').children.length,
      1,
    );
  });
});
