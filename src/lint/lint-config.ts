/**
 * lint's settings from stowage's one config loader (src/config/config-file.ts): `--config FILE` (lint's keys,
 * or a `.stowage.json` with a `lint` section), else lint's own `.stowage-lint.json` / `.stowage/lint.json` in
 * the current directory, else the `lint` section of the `.stowage.json` the loader finds. lint owns its keys.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, readConfigJson } from '../config/config-file.js';
import { BadInputError } from '../errors.js';
import type { Severity } from '../findings.js';
import { isRuleId } from './rule-table.js';

/** The lint config: ignored rule ids, severity overrides, thresholds. */
export interface LintConfig {
  ignore?: string[];
  severity?: Record<string, Severity>;
  largeContextBytes?: number;
  layerWarn?: number;
  dockerignoreBytes?: number;
  buildkit?: boolean;
  failOn?: Severity;
}

export const CONFIG_FILE_NAMES = ['.stowage-lint.json', '.stowage/lint.json'];

const KEYS = ['ignore', 'severity', 'largeContextBytes', 'layerWarn', 'dockerignoreBytes', 'buildkit', 'failOn', '$schema'];

/** The config lint uses: the file named, lint's own files in `cwd`, or `.stowage.json`'s `lint` section; `{}` when none. */
export function findLintConfig(options: { explicit?: string | undefined; cwd?: string } = {}): LintConfig {
  const cwd = options.cwd ?? process.cwd();
  if (options.explicit) return readLintConfig(resolve(cwd, options.explicit));
  for (const name of CONFIG_FILE_NAMES) if (existsSync(resolve(cwd, name))) return readLintConfig(resolve(cwd, name));
  const found = loadConfig({ cwd });
  return found.lint === undefined ? {} : validateLintConfig(found.lint, `${found.file} (section "lint")`);
}

/** Reads a lint config file (JSON); throws BadInputError with the reason when it is not valid. */
export function readLintConfig(path: string): LintConfig {
  return validateLintConfig(readConfigJson(path), path);
}

/** Checks lint's keys; `where` names the file (and section) in every error. */
export function validateLintConfig(value: unknown, where: string): LintConfig {
  const bad = (why: string) => new BadInputError(`config ${where}: ${why}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object');
  const v = value as Record<string, unknown>;
  const cfg: LintConfig = {};
  for (const key of Object.keys(v)) if (!KEYS.includes(key)) throw bad(`unknown key "${key}"`);
  if (v.ignore !== undefined) {
    if (!Array.isArray(v.ignore) || !v.ignore.every((x) => typeof x === 'string')) throw bad('"ignore" must be a list of rule ids');
    for (const id of v.ignore as string[]) if (!knownRuleRef(id)) throw bad(`unknown rule id "${id}" in "ignore"`);
    cfg.ignore = v.ignore as string[];
  }
  if (v.severity !== undefined) {
    if (typeof v.severity !== 'object' || v.severity === null) throw bad('"severity" must map rule ids to info, warn or error');
    for (const [id, sev] of Object.entries(v.severity as Record<string, unknown>)) {
      if (!isRuleId(id)) throw bad(`unknown rule id "${id}" in "severity"`);
      if (sev !== 'info' && sev !== 'warn' && sev !== 'error') throw bad(`severity of ${id} must be info, warn or error`);
    }
    cfg.severity = v.severity as Record<string, Severity>;
  }
  if (v.buildkit !== undefined) {
    if (typeof v.buildkit !== 'boolean') throw bad('"buildkit" must be true or false');
    cfg.buildkit = v.buildkit;
  }
  for (const k of ['largeContextBytes', 'layerWarn', 'dockerignoreBytes'] as const) {
    if (v[k] !== undefined) {
      if (typeof v[k] !== 'number' || !Number.isFinite(v[k]) || (v[k] as number) < 0) throw bad(`"${k}" must be a non-negative number`);
      cfg[k] = v[k] as number;
    }
  }
  if (v.failOn !== undefined) {
    if (v.failOn !== 'info' && v.failOn !== 'warn' && v.failOn !== 'error') throw bad('"failOn" must be info, warn or error');
    cfg.failOn = v.failOn;
  }
  return cfg;
}

/** A rule id, its short name (`consecutive-run`), or `*` / `all`: what ignore lists accept. */
export function knownRuleRef(ref: string): boolean {
  return ref === '*' || ref === 'all' || isRuleId(ref) || isRuleId(`dockerfile/${ref}`);
}
