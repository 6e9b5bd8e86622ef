/** `bench compare`'s public surface: types, the loop, the real runners, the cost split, samples, table, progress, JSON, report. */
export { type ChartSpec, compareCharts } from './charts.js';
export {
  addCosts,
  buildRunResult,
  costAccount,
  divideCost,
  processCost,
  sampleDelta,
  sampleDeltas,
  ZERO_COST,
} from './cost.js';
export { collectEnvironment, commandLine } from './environment.js';
export {
  CompareFileError,
  compareToJson,
  parseCompareJson,
  readCompareJson,
  writeCompareJson,
} from './json.js';
export { analyseKill, longestStall, rateBetween, timeline } from './kill.js';
export {
  type CompareDeps,
  computeRatios,
  defaultCompareSpec,
  formatRunLabel,
  type ProgressEvent,
  planKills,
  planRuns,
  ratio,
  runCompare,
  validateCompareSpec,
} from './orchestrate.js';
export { type BarState, formatDuration, ProgressBar, type ProgressStream, renderBar } from './progress.js';
export { type RenderedSvg, renderSvg } from './render.js';
export {
  type RenderedChart,
  type RenderedReport,
  type ReportFiles,
  renderCompareReport,
  writeCompareReport,
} from './report.js';
export {
  chooseVictim,
  clusterProtocol,
  type RunnerOptions,
  retryStart,
  runKillReal,
  runOneReal,
  scrapeReplicas,
  workerProcessSample,
} from './runners.js';
export {
  localSample,
  type MetricLine,
  parsePrometheusText,
  sampleFromMetrics,
  scrapeSample,
  type TrafficCounters,
} from './scrape.js';
export { formatCompareTable, formatRunSummary, formatTable } from './table.js';
export * from './types.js';
