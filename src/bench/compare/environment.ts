/**
 * The environment of a comparison: the exact command, versions (bftledger, Node.js, each runtime
 * dependency as installed) and the machine (CPU, cores, memory, OS, load). A figure without these
 * cannot be reproduced or judged, so the JSON and the report both carry them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from './types.js';

/** The package root: the nearest directory above this file holding a package.json named bftledger. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (
      existsSync(file) &&
      (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'bftledger'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** A package's installed version (its own package.json), or the declared one when not found. */
function installedVersion(root: string, name: string, declared: string): string {
  const file = join(root, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return declared;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? declared;
}

/** The git commit checked out at `root`, or null (not a checkout, or git missing). */
function gitCommit(root: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const sha = out.toString().trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/** The command as typed: `bftledger` followed by the arguments (quoted where a shell would need it). */
export function commandLine(args: readonly string[]): string {
  const quote = (a: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['bftledger', ...args.map(quote)].join(' ');
}

/** The environment now; `args` are the command's arguments (default: this process's). */
export function collectEnvironment(
  args: readonly string[] = process.argv.slice(2),
  now = new Date(),
): Environment {
  const root = packageRoot();
  const pkg = root
    ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        version?: string;
        dependencies?: Record<string, string>;
      })
    : {};
  const dependencies: Record<string, string> = {};
  for (const [name, declared] of Object.entries(pkg.dependencies ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    dependencies[name] = root ? installedVersion(root, name, declared) : declared;
  }
  const cpu = cpus();
  return {
    command: commandLine(args),
    bftledgerVersion: pkg.version ?? 'unknown',
    commit: root ? gitCommit(root) : null,
    node: process.version,
    dependencies,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryBytes: totalmem(),
    os: `${type()} ${release()} (${process.platform}/${process.arch})`,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    date: now.toISOString(),
  };
}
