/** `bench compare`'s outputs: terminal tables, the progress bar, the JSON file, samples, environment. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CompareFileError,
  collectEnvironment,
  commandLine,
  compareToJson,
  formatCompareTable,
  formatDuration,
  formatTable,
  ProgressBar,
  type ProgressEvent,
  parseCompareJson,
  parsePrometheusText,
  readCompareJson,
  renderBar,
  sampleFromMetrics,
  writeCompareJson,
} from '../../src/bench/compare/index.js';
import { fixed, times } from '../../src/bench/compare/table.js';
import { compareFixture } from '../support/compare-fixture.js';

describe('tables', () => {
  it('pads columns to the widest cell, left or right as asked', () => {
    const t = formatTable({
      headers: ['name', 'tx/s'],
      rows: [
        ['cft', '1,000'],
        ['pbft', '7'],
      ],
      align: ['left'],
    });
    assert.equal(t, ['name   tx/s', '----  -----', 'cft   1,000', 'pbft      7'].join('\n'));
  });

  it('formats numbers without the locale, and ratios with a dash for none', () => {
    assert.equal(fixed(1234567.891, 2), '1,234,567.89');
    assert.equal(fixed(-1234.5), '-1,235');
    assert.equal(fixed(-0.004, 2), '0.00');
    assert.equal(fixed(999), '999');
    assert.equal(times(0.4567), '0.46x');
    assert.equal(times(null), '—');
  });

  it('prints the runs, the ratios and the kill runs of a comparison', () => {
    const fixture = compareFixture();
    const text = formatCompareTable(fixture);
    const lines = text.split('\n');
    assert.match(lines[1]!, /^protocol +f +n +clients +tx\/s +p50 ms .* sigs\/tx +verifs\/tx +msgs\/tx/);
    assert.equal(fixture.runs.length, 2 * 2 * 3, 'two protocols, two f, three client counts');
    assert.equal(lines.filter((l) => /^(cft|pbft) +[12] +\d+ +\d+ /.test(l)).length, fixture.runs.length);
    assert.ok(lines.includes('PBFT / CFT'));
    assert.ok(lines.includes('One replica killed mid-run'));
    assert.ok(lines.some((l) => /^pbft +1 +4 +leader \(0\) +8 +5\.0 /.test(l)));
    assert.equal(text, formatCompareTable(compareFixture()), 'the same result prints the same table');
  });

  it('shows every repetition when runs were repeated', () => {
    const fixture = compareFixture();
    const runs = fixture.runs.map((r, i) => (i === 0 ? { ...r, repeatThroughputs: [1200, 1350, 990] } : r));
    const text = formatCompareTable({ ...fixture, runs });
    assert.match(text.split('\n')[1]!, /repeats tx\/s$/);
    assert.ok(text.includes('1,200 / 1,350 / 990'));
    assert.doesNotMatch(formatCompareTable(fixture), /repeats/);
  });

  it('shows the idle replicas’ CPU per transaction when it was measured', () => {
    const fixture = compareFixture();
    const r0 = fixture.runs[0]!;
    const runs = fixture.runs.map((r, i) => (i === 0 ? { ...r, idleReplicaCpu: 0.05 } : r));
    const lines = formatCompareTable({ ...fixture, runs }).split('\n');
    assert.match(lines[1]!, /idle µs\/tx$/);
    const expected = fixed(((0.05 * r0.load.seconds) / r0.load.completed) * 1e6);
    assert.ok(lines[3]!.endsWith(` ${expected}`), lines[3]);
    assert.ok(lines[4]!.endsWith(' —'), 'a run without the figure');
  });

  it('lists failed runs and metrics a replica did not expose', () => {
    const f = compareFixture();
    const run = f.runs[0]!;
    const p0 = { ...run.cost.processes[0]!, missing: ['bftledger_crypto_ops_total'] };
    const runs = [{ ...run, cost: { ...run.cost, processes: [p0] } }];
    const text = formatCompareTable({
      ...f,
      runs,
      failures: [{ label: 'pbft f=2 n=7 clients=32', message: 'boom' }],
    });
    assert.match(text, /Failed runs\n {2}pbft f=2 n=7 clients=32: boom/);
    assert.match(text, /note: cft replica-0 did not expose bftledger_crypto_ops_total: read as 0/);
  });
});

/** A stream that records what was written. */
function recorder(isTTY: boolean): {
  isTTY: boolean;
  columns: number;
  out: string[];
  write(s: string): boolean;
} {
  const out: string[] = [];
  return { isTTY, columns: 100, out, write: (s: string) => out.push(s) > 0 };
}

/** Start and end events of run `index` of `total`, each planned at 10 s. */
function events(index: number, total: number): [ProgressEvent, ProgressEvent] {
  const base = {
    index,
    total,
    label: `pbft f=1 n=4 clients=${index + 1}`,
    plannedSeconds: 10,
    totalPlannedSeconds: 10 * total,
    plannedSecondsBefore: 10 * index,
  };
  return [
    { ...base, phase: 'start' },
    { ...base, phase: 'end', error: 'replica 2 exited' },
  ];
}

describe('progress', () => {
  it('writes plain lines and no control characters when not on a terminal', () => {
    const s = recorder(false);
    let now = 0;
    const bar = new ProgressBar(s, () => now);
    const [start, end] = events(0, 4);
    bar.onEvent(start);
    now = 5000;
    bar.tick();
    bar.onEvent(end);
    bar.close();
    assert.deepEqual(s.out, [
      '[1/4] pbft f=1 n=4 clients=1: running (about 0:10 after start-up)\n',
      '[1/4] pbft f=1 n=4 clients=1: failed: replica 2 exited\n',
    ]);
  });

  it('redraws one line in place on a terminal and estimates what is left', () => {
    const s = recorder(true);
    let now = 0;
    const bar = new ProgressBar(s, () => now);
    const [start] = events(1, 4);
    bar.onEvent(start);
    now = 5000;
    const state = bar.state()!;
    assert.equal(state.fraction, 15 / 40);
    assert.equal(state.etaSeconds, (5 * (1 - 15 / 40)) / (15 / 40));
    bar.tick();
    const last = s.out.at(-1)!;
    assert.ok(last.startsWith('\r[') && last.endsWith('\u001b[K'));
    assert.match(last, /\] {2}37% 2\/4 pbft f=1 n=4 clients=2 0:05 left 0:08/);
    bar.close();
    assert.equal(s.out.at(-1), '\r\u001b[K');
  });

  it('prints a note on its own line, clearing the bar and redrawing it after', () => {
    const s = recorder(true);
    const bar = new ProgressBar(s, () => 0);
    bar.onEvent(events(0, 2)[0]);
    const drawn = s.out.length;
    bar.note('note: replicas did not connect; starting the network again');
    assert.deepEqual(s.out.slice(drawn, drawn + 2), [
      '\r\u001b[K',
      'note: replicas did not connect; starting the network again\n',
    ]);
    assert.ok(s.out.at(-1)!.startsWith('\r['), 'the bar is back');
    const plain = recorder(false);
    new ProgressBar(plain, () => 0).note('note: x');
    assert.deepEqual(plain.out, ['note: x\n']);
  });

  it('keeps the bar within the width it is given', () => {
    const state = {
      fraction: 0.5,
      current: 3,
      total: 12,
      label: 'x'.repeat(200),
      elapsedSeconds: 65,
      etaSeconds: 3700,
    };
    for (const w of [40, 80, 120]) assert.ok(renderBar(state, w).length <= w);
    assert.equal(
      renderBar({ ...state, label: 'cft f=1 n=3 clients=1' }, 120),
      '[###############...............]  50% 3/12 cft f=1 n=3 clients=1 1:05 left 1:01:40',
    );
    assert.equal(formatDuration(59.6), '1:00');
    assert.equal(formatDuration(3725), '1:02:05');
  });
});

describe('JSON file', () => {
  it('round-trips a comparison exactly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bftledger-compare-'));
    try {
      const f = compareFixture();
      const path = join(dir, 'out', 'compare.json');
      writeCompareJson(path, f);
      assert.deepEqual(readCompareJson(path), f);
      assert.ok(readFileSync(path, 'utf8').endsWith('}\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses other files, other versions, missing parts and non-finite numbers', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof CompareFileError ? err.code : 'other';
      }
      return 'none';
    };
    const f = compareFixture();
    const json = compareToJson(f);
    assert.equal(
      code(() => parseCompareJson('{')),
      'not-json',
    );
    assert.equal(
      code(() => parseCompareJson('{"format":"x","version":1}')),
      'wrong-format',
    );
    assert.equal(
      code(() => parseCompareJson(json.replace('"version": 1', '"version": 2'))),
      'wrong-version',
    );
    assert.equal(
      code(() => parseCompareJson(JSON.stringify({ ...f, runs: {} }))),
      'bad-shape',
    );
    assert.equal(
      code(() => parseCompareJson(JSON.stringify({ ...f, runs: [{ spec: {} }] }))),
      'bad-shape',
    );
    assert.equal(
      code(() => compareToJson({ ...f, wallSeconds: Number.NaN })),
      'not-finite',
    );
  });
});

describe('samples from /metrics', () => {
  it('parses labels with escapes, skips comments, keeps special values', () => {
    const lines = parsePrometheusText(
      [
        '# HELP x a metric',
        'x{a="1",b="q\\"uote"} 2.5',
        'y 3 1700000000000',
        'z +Inf',
        'broken line here',
      ].join('\n'),
    );
    assert.deepEqual(lines, [
      { name: 'x', labels: { a: '1', b: 'q"uote' }, value: 2.5 },
      { name: 'y', labels: {}, value: 3 },
      { name: 'z', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
  });

  it('names what a replica without the crypto metrics lacks, and falls back to the default CPU metric', () => {
    const s = sampleFromMetrics(
      'process_cpu_seconds_total 4.5\nbftledger_messages_out_total{kind="reply"} 7\n',
      'replica',
      'r',
    );
    assert.equal(s.cpuSeconds, 4.5);
    assert.equal(s.messagesOut, 7);
    assert.equal(s.crypto.count.sign, 0);
    assert.deepEqual(s.missing, [
      'bftledger_crypto_hashed_bytes_total',
      'bftledger_crypto_ops_total',
      'bftledger_crypto_seconds_total',
      'bftledger_transport',
    ]);
  });
});

describe('environment', () => {
  it('records the command, this package and its dependencies, and the machine', () => {
    const e = collectEnvironment(['bench', 'compare', '--clients', '1,4'], new Date(0));
    assert.equal(e.command, 'bftledger bench compare --clients 1,4');
    assert.equal(e.date, '1970-01-01T00:00:00.000Z');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    assert.equal(e.bftledgerVersion, pkg.version);
    assert.deepEqual(Object.keys(e.dependencies), Object.keys(pkg.dependencies).sort());
    assert.equal(e.dependencies.vega, '6.4.0');
    assert.ok(e.cores >= 1 && e.memoryBytes > 0 && e.loadAverage.length === 3);
  });

  it('quotes arguments a shell would split', () => {
    assert.equal(
      commandLine(['bench', '--out', 'my dir/x.json', "it's"]),
      `bftledger bench --out 'my dir/x.json' 'it'\\''s'`,
    );
  });
});
