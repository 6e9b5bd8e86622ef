/**
 * The behaviours by name, with a one-line description and their options, and the parser for the
 * text form the command line and the simulator take:
 *
 *   behaviour[,behaviour...]   where   behaviour = name[:key=value[:key=value...]]
 *
 * List values are joined with '+', e.g. `selective-silent:peers=0+1`, `mutate:rate=0.5:mutations=bad-signature+truncate`.
 * Behaviours compose in the order given: each rewrites what the previous one produced.
 */
import {
  BadViewChange,
  type BadViewChangeOptions,
  NEW_VIEW_FORGERIES,
  VIEW_CHANGE_FORGERIES,
} from './bad-view-change.js';
import { Censor, type CensorOptions } from './censor.js';
import { Equivocate, type EquivocateOptions } from './equivocate.js';
import { FLOOD_KINDS, Flood, type FloodOptions } from './flood.js';
import { LyingStateTransfer, type LyingStateTransferOptions } from './lying-state-transfer.js';
import { MUTATIONS, Mutate, type MutateOptions } from './mutate.js';
import { Replay, type ReplayOptions } from './replay.js';
import { SelectiveSilent, type SelectiveSilentOptions, Silent } from './silent.js';
import { SlowPrimary, type SlowPrimaryOptions } from './slow-primary.js';
import { BEHAVIOUR_NAMES, type Behaviour, type BehaviourName } from './types.js';

/** How one option's text is read. */
export type OptionSpec =
  /** A whole number of at least `min`. */
  | { readonly type: 'int'; readonly min: number; readonly describe: string }
  /** Whole numbers of at least `min`, joined with '+'. */
  | { readonly type: 'ints'; readonly min: number; readonly describe: string }
  /** A probability in [0, 1]. */
  | { readonly type: 'rate'; readonly describe: string }
  /** true or false. */
  | { readonly type: 'bool'; readonly describe: string }
  /** Names from `values`, joined with '+'. */
  | { readonly type: 'names'; readonly values: readonly string[]; readonly describe: string };

/** A parsed option value. */
export type OptionValue = number | boolean | readonly number[] | readonly string[];

/** Parsed options, by option name. */
export type ParsedOptions = Readonly<Record<string, OptionValue>>;

/** One registry entry: what the behaviour does, what it takes, and how to make a fresh one. */
export interface BehaviourEntry {
  /** One line: what the behaviour does. */
  readonly describe: string;
  /** Its options, by name. */
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** A fresh instance (behaviours hold state: one per replica life). */
  make(options?: ParsedOptions): Behaviour;
}

/** Shorthands for the option tables below. */
const int = (min: number, describe: string): OptionSpec => ({ type: 'int', min, describe });
const rate = (describe: string): OptionSpec => ({ type: 'rate', describe });
const bool = (describe: string): OptionSpec => ({ type: 'bool', describe });
const names = (values: readonly string[], describe: string): OptionSpec => ({
  type: 'names',
  values,
  describe,
});

/**
 * A registry entry for a behaviour whose options are `O`: the option table must name every option
 * of `O`, and the parser hands `make` only those, each read by its spec (so the cast is safe).
 */
function entry<O extends object>(
  describe: string,
  options: { readonly [P in keyof Required<O>]: OptionSpec },
  make: (options: O) => Behaviour,
): BehaviourEntry {
  return { describe, options, make: (o = {}) => make(o as O) };
}

/** Every behaviour, by name. */
export const BEHAVIOURS: { readonly [K in BehaviourName]: BehaviourEntry } = {
  equivocate: entry<EquivocateOptions>(
    'sends conflicting pre-prepares (as primary) and prepares/commits (as backup) to two halves of the peers',
    { prePrepares: bool('equivocate on pre-prepares'), votes: bool('equivocate on prepares and commits') },
    (o) => new Equivocate(o),
  ),
  silent: entry<object>(
    'drops every outgoing message (sends, broadcasts, client replies); persists still happen',
    {},
    () => new Silent(),
  ),
  'selective-silent': entry<SelectiveSilentOptions>(
    'talks only to some replicas (default the lower half of the ids) and drops messages to the rest',
    {
      peers: { type: 'ints', min: 0, describe: 'replica ids it talks to' },
      replies: bool('still reply to clients'),
    },
    (o) => new SelectiveSilent(o),
  ),
  'slow-primary': entry<SlowPrimaryOptions>(
    "as primary, holds each pre-prepare back until just before the backups' request timeout",
    {
      marginTicks: int(0, 'ticks before the timeout at which it releases'),
      delayTicks: int(0, 'ticks to hold (overrides the margin)'),
    },
    (o) => new SlowPrimary(o),
  ),
  mutate: entry<MutateOptions>(
    'rewrites random outgoing messages: wrong digest, view or seq, bad signature, truncated or oversized',
    { rate: rate('share of messages mutated'), mutations: names(MUTATIONS, 'mutations to draw from') },
    (o) => new Mutate(o),
  ),
  replay: entry<ReplayOptions>(
    'resends random messages it sent earlier (old views, seqs, checkpoints), verbatim',
    { rate: rate('share of ticks that replay'), count: int(1, 'messages per replay') },
    (o) => new Replay(o),
  ),
  'bad-view-change': entry<BadViewChangeOptions>(
    'sends view-changes with forged or incomplete certificates and new-views with wrong pre-prepares',
    {
      viewChange: names(VIEW_CHANGE_FORGERIES, 'view-change forgeries'),
      newView: names(NEW_VIEW_FORGERIES, 'new-view forgeries'),
    },
    (o) => new BadViewChange(o),
  ),
  'lying-state-transfer': entry<LyingStateTransferOptions>(
    'serves corrupted snapshot chunks and damaged log relays to replicas that fetch state',
    { snapshots: bool('corrupt snapshot chunks'), logs: bool('damage relayed log envelopes') },
    (o) => new LyingStateTransfer(o),
  ),
  censor: entry<CensorOptions>(
    "as primary, never orders one client's requests (default client 0), and never relays them",
    { client: int(0, 'the censored client id') },
    (o) => new Censor(o),
  ),
  flood: entry<FloodOptions>(
    'on every tick, sends a burst of extra messages (default 20): ignorable signed ones and junk',
    { count: int(0, 'messages per tick'), kinds: names(FLOOD_KINDS, 'what to send') },
    (o) => new Flood(o),
  ),
};

/** Why a behaviour list could not be read. */
export type BehaviourErrorCode = 'empty' | 'unknown-behaviour' | 'unknown-option' | 'bad-option-value';

/** A behaviour list that does not parse: the message says what is wrong and what is valid. */
export class BehaviourError extends Error {
  constructor(
    /** Stable code for callers. */
    readonly code: BehaviourErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BehaviourError';
  }
}

/** One behaviour of a parsed list: its name and options. */
export interface BehaviourSpec {
  /** The behaviour. */
  readonly name: BehaviourName;
  /** Its options (only those given). */
  readonly options: ParsedOptions;
}

/** Whether a string names a behaviour. */
export function isBehaviourName(name: string): name is BehaviourName {
  return (BEHAVIOUR_NAMES as readonly string[]).includes(name);
}

/** Reads a behaviour list (see the module comment) without making the behaviours. */
export function parseBehaviourSpecs(text: string): BehaviourSpec[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) {
    throw new BehaviourError('empty', `no behaviour given; valid: ${BEHAVIOUR_NAMES.join(', ')}`);
  }
  return items.map(parseOne);
}

/** Reads a behaviour list and makes fresh behaviours, in order. */
export function parseBehaviours(text: string): Behaviour[] {
  return parseBehaviourSpecs(text).map(makeBehaviour);
}

/** A fresh behaviour for a parsed spec. */
export function makeBehaviour(spec: BehaviourSpec): Behaviour {
  return BEHAVIOURS[spec.name].make(spec.options);
}

/** One line per behaviour, `name: description`, for help texts. */
export function describeBehaviours(): string[] {
  return BEHAVIOUR_NAMES.map((name) => `${name}: ${BEHAVIOURS[name].describe}`);
}

function parseOne(item: string): BehaviourSpec {
  const [name = '', ...pairs] = item.split(':').map((s) => s.trim());
  if (!isBehaviourName(name)) {
    throw new BehaviourError(
      'unknown-behaviour',
      `unknown behaviour '${name}'; valid: ${BEHAVIOUR_NAMES.join(', ')}`,
    );
  }
  const specs = BEHAVIOURS[name].options;
  const options: Record<string, OptionValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq).trim();
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (spec === undefined) {
      const valid = Object.keys(specs);
      const list = valid.length > 0 ? `valid: ${valid.join(', ')}` : 'it takes none';
      throw new BehaviourError('unknown-option', `${name} has no option '${key}'; ${list}`);
    }
    if (eq < 0) throw new BehaviourError('bad-option-value', `${name}: option '${key}' needs '=value'`);
    options[key] = parseValue(name, key, spec, pair.slice(eq + 1).trim());
  }
  return { name, options };
}

function parseValue(name: string, key: string, spec: OptionSpec, text: string): OptionValue {
  const bad = (want: string): BehaviourError =>
    new BehaviourError('bad-option-value', `${name}: option '${key}' must be ${want}, got '${text}'`);
  const whole = (s: string, min: number): number => {
    const v = /^\d+$/.test(s) ? Number(s) : Number.NaN;
    if (!Number.isSafeInteger(v) || v < min) throw bad(`a whole number >= ${min}`);
    return v;
  };
  switch (spec.type) {
    case 'int':
      return whole(text, spec.min);
    case 'ints':
      return text.split('+').map((s) => whole(s.trim(), spec.min));
    case 'rate': {
      const v = text === '' ? Number.NaN : Number(text);
      if (!(v >= 0 && v <= 1)) throw bad('a number in [0, 1]');
      return v;
    }
    case 'bool':
      if (text === 'true' || text === 'false') return text === 'true';
      throw bad('true or false');
    case 'names': {
      const list = text.split('+').map((s) => s.trim());
      const unknown = list.find((s) => !spec.values.includes(s));
      if (unknown !== undefined) throw bad(`names from ${spec.values.join(', ')} joined with '+'`);
      return list;
    }
  }
}
