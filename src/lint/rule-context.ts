/** What a rule sees (the model, the build context, base image layers) and how it reports a hit. */
import type { BuildContext } from '../dockerfile/build-context.js';
import { runScripts, type DockerfileModel, type RunScript, type Step } from '../dockerfile/instruction-model.js';
import { commandName, splitCommands, type ScriptFacts, type SimpleCommand, type Word } from '../dockerfile/shell-command.js';
import type { Span } from '../dockerfile/source-text.js';
import type { Evidence, Finding, Severity } from '../findings.js';
import type { AutofixClass, RuleId } from './rule-table.js';

/** Replace [start, end) of the Dockerfile text (BOM removed) with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface LintFix {
  safety: Exclude<AutofixClass, 'none'>;
  /** What the edit does, e.g. `COPY --chown=app:app, drop chown -R from RUN`. */
  description: string;
  edits: TextEdit[];
}

/** A Finding plus what lint adds: the machine-applicable fix and the span it points at. */
export interface LintFinding extends Finding {
  autofix?: LintFix;
  /** Offsets of the range in the file (BOM removed). */
  span: Span;
}

export interface Hit {
  id: RuleId;
  span: Span;
  evidence?: Evidence[];
  /** Overrides the table's severity (layer-count uses it for over-the-limit). */
  severity?: Severity;
  /** Adds to the table's fix sentence: commands or config to apply. */
  fixCommands?: string[];
  fixConfig?: string;
  autofix?: LintFix;
}

export interface LintSettings {
  /** A context larger than this is reported (bytes). */
  largeContextBytes: number;
  /** Warn above this many layers in the exported image. */
  layerWarn: number;
  /**
   * The builds use BuildKit (the user says so): fixes may use flags the legacy builder rejects (COPY --chmod).
   * Without it, a `# syntax=` line is what makes BuildKit certain.
   */
  buildkit: boolean;
  /** missing-dockerignore only for a context at least this large (bytes): a tiny context costs nothing to send. */
  dockerignoreBytes: number;
}

export const DEFAULT_SETTINGS: LintSettings = { largeContextBytes: 100 * 1000 * 1000, layerWarn: 100, buildkit: false, dockerignoreBytes: 10 * 1000 * 1000 };

export interface RuleContext {
  model: DockerfileModel;
  context: BuildContext | undefined;
  /** Layer counts of base images the engine knows, by reference as written in FROM. */
  baseLayers: ReadonlyMap<string, number>;
  settings: LintSettings;
  report(hit: Hit): void;
}

export interface Rule {
  ids: readonly RuleId[];
  check(ctx: RuleContext): void;
}

/** A command of a RUN, with its script so offsets map back to the file. */
export interface RunCommand {
  step: Step;
  script: RunScript;
  cmd: SimpleCommand;
  name: string;
  args: Word[];
  /** Index among the script's commands. */
  index: number;
  all: SimpleCommand[];
}

/**
 * Per-step memo, kept on the step itself under symbols: a WeakMap keyed by every step of every file linted
 * made the collector walk ephemeron tables and cost a third of lint's time.
 */
export const MEMO: unique symbol = Symbol('stowage.lint.memo');
export interface StepMemo {
  commands?: RunCommand[];
  facts?: ScriptFacts;
  writes?: unknown;
  placed?: unknown;
}
export function memoOf(step: Step): StepMemo {
  const s = step as Step & { [MEMO]?: StepMemo };
  return (s[MEMO] ??= {});
}

/** Every simple command a RUN executes (inline or a heredoc fed to a shell). */
export function runCommands(step: Step): RunCommand[] {
  const memo = memoOf(step);
  if (memo.commands) return memo.commands;
  const out: RunCommand[] = [];
  const facts: ScriptFacts = { comment: false, stateful: false };
  memo.facts = facts;
  for (const script of runScripts(step)) {
    const all = splitCommands(script.text, facts);
    for (let index = 0; index < all.length; index++) {
      const cmd = all[index]!;
      const program = commandName(cmd);
      out.push({ step, script, cmd, name: program.name, args: cmd.words.slice(program.index + 1), index, all });
    }
  }
  memo.commands = out;
  return out;
}

/** File span of a command. */
export function commandSpan(rc: RunCommand): Span {
  return { start: rc.script.toFile(rc.cmd.start), end: rc.script.toFile(rc.cmd.end - 1) + 1 };
}


/** What the lexer saw in a RUN's scripts besides commands (comments, assignments in expansions). */
export function runFacts(step: Step): ScriptFacts {
  runCommands(step);
  return memoOf(step).facts!;
}

/** The program a command runs, looking through `xargs [options]`: `xargs -rt apt-get install` runs apt-get. */
export function programOf(rc: RunCommand): { name: string; args: Word[] } {
  if (rc.name !== 'xargs') return { name: rc.name, args: rc.args };
  let i = 0;
  while (i < rc.args.length && rc.args[i]!.value.startsWith('-')) {
    // options that take their value as the next word
    if (/^-[IndPELsa]$/.test(rc.args[i]!.value)) i++;
    i++;
  }
  const word = rc.args[i];
  if (!word) return { name: 'echo', args: [] };
  return { name: word.value.slice(word.value.lastIndexOf('/') + 1), args: rc.args.slice(i + 1) };
}
