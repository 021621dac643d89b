/**
 * stowage's one config file, `.stowage.json`, with a section per command (`lint`, `analyze`, `prune`,
 * `watch`), found the way the docker CLI finds its own: the file given with `--config`, else the first
 * `.stowage.json` from the current directory up to the repository's root, else
 * `$XDG_CONFIG_HOME/stowage/config.json` (`~/.config/stowage/config.json`). Every error names the file and key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BadInputError } from '../errors.js';
import { readDuration } from './value-parsers.js';

export const CONFIG_FILE_NAME = '.stowage.json';
export const CONFIG_SECTIONS = ['lint', 'analyze', 'prune', 'watch'] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** A config file that cannot be used: the file, and the key when one is at fault. */
export class ConfigError extends BadInputError {
  constructor(readonly file: string, readonly key: string | undefined, why: string) {
    super(`config ${file}${key ? `: "${key}"` : ''}: ${why}`);
  }
}

/** What prune must never remove, whatever it finds: a fleet's policy in one place (flags add to it). */
export interface PruneConfig {
  /** Image globs (`app:prod`, `registry.example/*`), volume names, labels (`key` or `key=value`). */
  protect?: { images?: string[]; volumes?: string[]; labels?: string[] };
  /** The N newest tags of each repository stay (`--keep-recent`). */
  keepRecent?: number;
  /** Objects created or used within this long stay, ms (`--keep-since`). */
  keepSinceMs?: number;
  /** Build cache used within this long stays, ms (`--build-cache-until`). */
  buildCacheUntilMs?: number;
}

export interface WatchConfig {
  intervalMs?: number;
}

export interface StowageConfig {
  /** The file read; undefined when none was found. */
  file: string | undefined;
  /** Validated by lint (lint/lint-config.ts) and analyze (analyze/thresholds.ts), who own their keys. */
  lint?: unknown;
  analyze?: unknown;
  prune?: PruneConfig;
  watch?: WatchConfig;
}

export interface FindConfigOptions {
  /** `--config FILE`: used as is, and an error when it cannot be read. */
  explicit?: string | undefined;
  cwd?: string;
  env?: Record<string, string | undefined>;
  home?: string;
}

/** The config file to use, in the docker CLI's order; undefined when there is none. */
export function findConfigFile(options: FindConfigOptions = {}): string | undefined {
  if (options.explicit) return options.explicit;
  let dir = resolve(options.cwd ?? process.cwd());
  for (;;) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    // the repository's root ends the search (a checkout's config never comes from a directory above it)
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  const env = options.env ?? process.env;
  const xdg = env.XDG_CONFIG_HOME || join(options.home ?? homedir(), '.config');
  const user = join(xdg, 'stowage', 'config.json');
  return existsSync(user) ? user : undefined;
}

/** A config file's text; unreadable is bad input naming the file. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw new BadInputError(`cannot read config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A config file parsed as JSON. */
export function readConfigJson(file: string): unknown {
  const text = readConfigText(file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`config ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Finds and reads `.stowage.json`; `{ file: undefined }` when there is none. */
export function loadConfig(options: FindConfigOptions = {}): StowageConfig {
  const file = findConfigFile(options);
  return file ? parseConfig(readConfigJson(file), file) : { file: undefined };
}

/** Checks the sections this module owns (prune, watch) and hands lint's and analyze's on as they are. */
export function parseConfig(value: unknown, file: string): StowageConfig {
  if (!isObject(value)) throw new ConfigError(file, undefined, 'must be a JSON object with sections lint, analyze, prune, watch');
  const config: StowageConfig = { file };
  for (const [key, section] of Object.entries(value)) {
    if (key === '$schema') continue;
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) throw new ConfigError(file, key, `unknown section (sections: ${CONFIG_SECTIONS.join(', ')})`);
    if (!isObject(section)) throw new ConfigError(file, key, 'must be an object');
  }
  if (value.lint !== undefined) config.lint = value.lint;
  if (value.analyze !== undefined) config.analyze = value.analyze;
  if (value.prune !== undefined) config.prune = parsePrune(value.prune as Record<string, unknown>, file);
  if (value.watch !== undefined) config.watch = parseWatch(value.watch as Record<string, unknown>, file);
  return config;
}

function duration(v: unknown, file: string, key: string): number {
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? readDuration(v, 's') : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) throw new ConfigError(file, key, `must be a duration such as "30s", "5m" or "168h", not ${JSON.stringify(v)}`);
  return ms;
}

function parsePrune(v: Record<string, unknown>, file: string): PruneConfig {
  const out: PruneConfig = {};
  const keys = ['protect', 'keepRecent', 'keepSince', 'buildCacheUntil'];
  for (const key of Object.keys(v)) if (!keys.includes(key)) throw new ConfigError(file, `prune.${key}`, `unknown key (keys: ${keys.join(', ')})`);
  if (v.protect !== undefined) {
    if (!isObject(v.protect)) throw new ConfigError(file, 'prune.protect', 'must be an object with images, volumes, labels');
    out.protect = {};
    for (const [k, list] of Object.entries(v.protect)) {
      if (k !== 'images' && k !== 'volumes' && k !== 'labels') throw new ConfigError(file, `prune.protect.${k}`, 'unknown key (keys: images, volumes, labels)');
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x !== '')) throw new ConfigError(file, `prune.protect.${k}`, 'must be a list of names');
      out.protect[k] = list as string[];
    }
  }
  if (v.keepRecent !== undefined) {
    if (typeof v.keepRecent !== 'number' || !Number.isInteger(v.keepRecent) || v.keepRecent < 0) {
      throw new ConfigError(file, 'prune.keepRecent', `must be a whole number of tags kept per repository, not ${JSON.stringify(v.keepRecent)} (a duration goes in keepSince)`);
    }
    out.keepRecent = v.keepRecent;
  }
  if (v.keepSince !== undefined) out.keepSinceMs = duration(v.keepSince, file, 'prune.keepSince');
  if (v.buildCacheUntil !== undefined) out.buildCacheUntilMs = duration(v.buildCacheUntil, file, 'prune.buildCacheUntil');
  return out;
}

function parseWatch(v: Record<string, unknown>, file: string): WatchConfig {
  const out: WatchConfig = {};
  for (const key of Object.keys(v)) if (key !== 'interval') throw new ConfigError(file, `watch.${key}`, 'unknown key (keys: interval)');
  if (v.interval !== undefined) out.intervalMs = duration(v.interval, file, 'watch.interval');
  return out;
}
