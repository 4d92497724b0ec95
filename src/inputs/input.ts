// What an input of epicac is, declared once: its flag, the module's name for it, the variables
// read when neither is given, its help line, its default, and how a value is read and checked.
// The command line, the module and the files epicac reads (serve's routes) all read values
// through here: each value is checked once, in the declaration's unit, and a message names the
// input as its caller wrote it (the flag, the option, the variable, the route's key).

import { invalidValue } from "../errors.ts";

/** Who gives a value: how it names inputs, and whether its values are text. */
export interface Caller {
  /** The input as this caller writes it: "--timeout", "timeoutMs", "EPICAC_CACHE_DIR". */
  name(input: Input<unknown>): string;
  /** Values are text with times in seconds (the command line, a variable), else typed values with times in milliseconds. */
  text: boolean;
}

/** Flags on the command line: text, times in seconds. */
export const COMMAND_LINE: Caller = { name: (input) => `--${input.flag}`, text: true };

/** The module's options: typed values, times in milliseconds. */
export const MODULE: Caller = { name: (input) => input.option ?? `--${input.flag}`, text: false };

/** One variable of the environment: text, named by the variable (a configuration error). */
export function variable(name: string): Caller {
  return { name: () => name, text: true };
}

/** A caller that names inputs with a prefix ("--route prod external-id="). */
export function within(caller: Caller, name: (input: Input<unknown>) => string): Caller {
  return { ...caller, name };
}

export interface Input<T> {
  /** The flag, without its dashes. */
  readonly flag: string;
  /** The module's option, when the module takes this input. */
  readonly option?: string;
  /** Variables read, in order, when the input is not given. */
  readonly env?: readonly string[];
  /** A one-letter alias of the flag. */
  readonly short?: string;
  /** The value's placeholder in help ("S", "ROLE_ARN"); a switch has none. */
  readonly placeholder?: string;
  /** The flag may be repeated (its value is a list). */
  readonly multiple?: boolean;
  /** The help line, unit-neutral: the unit and default are added where it is shown. */
  readonly help: string;
  /** The module's type, for the generated documentation. */
  readonly type: string;
  /** The unit of a time, as text callers and the module give it. */
  readonly unit?: { text: string; module: string };
  readonly default?: T;
  /** The value from what the caller gave, checked, or an error naming the input as it wrote it. */
  read(given: unknown, caller: Caller): T;
  /** The default as the caller gives values ("1" second, 1000 ms), for help and docs. */
  shown?(value: T, caller: Caller): string;
}

/** The error for a value an input does not take: a usage error, or a configuration error for a variable. */
export function refuse(input: Input<unknown>, caller: Caller, problem: string): Error {
  return invalidValue(caller.name(input), `${caller.name(input)} ${problem}`);
}

/** A refused value as messages quote it: shortened, in quotes. */
export function quoted(given: unknown): string {
  const text = Array.isArray(given) ? given.join(",") : String(given);
  return `'${text.length > 80 ? `${text.slice(0, 80)}…` : text}'`;
}

/** An input whose declaration gives a default: its value is never undefined. */
type Defaulted<T, D> = [D] extends [undefined] ? Input<T> : Input<T> & { default: T };

interface Declared<T> {
  flag: string;
  option?: string;
  env?: readonly string[];
  short?: string;
  placeholder?: string;
  help: string;
  default?: T;
  shown?: (value: T, caller: Caller) => string;
}

/** A time in milliseconds, given in seconds on the command line. */
export function milliseconds<D extends number | undefined = undefined>(
  declared: Declared<number> & { default?: D; min: number; max: number },
): Defaulted<number, D> {
  const { min, max } = declared;
  const takes = (caller: Caller) =>
    caller.text
      ? `takes a number of seconds from ${min / 1000} to ${max / 1000}`
      : `takes a number of milliseconds from ${min} to ${max}`;
  return {
    placeholder: "S",
    type: "number",
    unit: { text: "seconds", module: "milliseconds" },
    ...declared,
    read(given, caller) {
      const ms = caller.text
        ? (typeof given === "string" && /^\d+(\.\d+)?$/.test(given)
          ? Math.round(Number(given) * 1000)
          : NaN)
        : (typeof given === "number" ? given : NaN);
      if (!(ms >= min && ms <= max)) {
        throw refuse(this, caller, `${takes(caller)}, not ${quoted(given)}`);
      }
      return ms;
    },
    shown: (value, caller) => String(caller.text ? value / 1000 : value),
  } as Defaulted<number, D>;
}

/** A whole number within limits (in the same unit for every caller). */
export function wholeNumber<D extends number | undefined = undefined>(
  declared: Declared<number> & { default?: D; min: number; max: number; seconds?: boolean },
): Defaulted<number, D> {
  const { min, max, seconds } = declared;
  const unit = seconds ? "a whole number of seconds" : "a whole number";
  return {
    placeholder: "N",
    type: "number",
    ...(seconds ? { unit: { text: "seconds", module: "seconds" } } : {}),
    ...declared,
    read(given, caller) {
      const n = caller.text
        ? (typeof given === "string" && /^(0|[1-9]\d*)$/.test(given) ? Number(given) : NaN)
        : (typeof given === "number" && Number.isInteger(given) ? given : NaN);
      if (!(n >= min && n <= max)) {
        throw refuse(this, caller, `takes ${unit} from ${min} to ${max}, not ${quoted(given)}`);
      }
      return n;
    },
  } as Defaulted<number, D>;
}

/** Text of a given form, read into a value: `parse` gives undefined for text not of `form`. */
export function parsed<T, D extends T | undefined = undefined>(
  declared: Declared<T> & {
    default?: D;
    form: string;
    type?: string;
    parse: (text: string) => T | undefined;
    /** How a refused value is quoted ("" to quote nothing of it): by default, in full. */
    quote?: (text: string) => string;
  },
): Defaulted<T, D> {
  const { form, parse, quote = quoted } = declared;
  return {
    placeholder: "TEXT",
    type: "string",
    ...declared,
    read(given, caller) {
      const value = typeof given === "string" ? parse(given) : undefined;
      if (value === undefined) {
        const shown = quote(String(given));
        throw refuse(this, caller, `takes ${form}${shown ? `, not ${shown}` : ""}`);
      }
      return value;
    },
  } as Defaulted<T, D>;
}

/** Text of a given form: `form` says what it takes, `valid` whether a string has it. */
export function text<D extends string | undefined = undefined>(
  declared: Declared<string> & {
    default?: D;
    form: string;
    valid: (value: string) => boolean;
    quote?: (text: string) => string;
  },
): Defaulted<string, D> {
  return parsed<string, D>({
    ...declared,
    parse: (given) => declared.valid(given) ? given : undefined,
  });
}

/** One of a fixed list of words. */
export function choice<const W extends string, D extends W | undefined = undefined>(
  declared: Declared<W> & { default?: D; words: readonly W[] },
): Defaulted<W, D> {
  const { words } = declared;
  return {
    placeholder: words.join("|"),
    type: words.map((w) => `"${w}"`).join(" | "),
    ...declared,
    read(given, caller) {
      if (!(words as readonly unknown[]).includes(given)) {
        throw refuse(this, caller, `must be one of ${words.join(", ")}, not ${quoted(given)}`);
      }
      return given as W;
    },
  } as Defaulted<W, D>;
}

/** An on/off flag. */
export function onOff(declared: Omit<Declared<boolean>, "placeholder">): Input<boolean> & {
  default: boolean;
} {
  return {
    type: "boolean",
    default: false,
    ...declared,
    read(given, caller) {
      if (typeof given !== "boolean") throw refuse(this, caller, `takes true or false`);
      return given;
    },
  };
}

/**
 * A repeatable input. On the command line each item is text, read by `fromText`; the module gives
 * an array of items (or what `fromOption` turns into one). Each item must be `valid`, then the
 * whole list passes `all`. Messages name this input and quote the item (`shown`).
 */
export function list<T>(
  declared: Declared<T[]> & {
    type: string;
    form: string;
    fromText: (text: string) => T | undefined;
    fromOption?: (given: unknown) => T[] | undefined;
    valid: (item: T) => boolean;
    all?: (items: T[]) => string | undefined;
    showItem?: (item: T) => string;
  },
): Input<T[]> {
  const { form, fromText, fromOption, valid, all, showItem = String } = declared;
  return {
    multiple: true,
    ...declared,
    read(given, caller) {
      const items = caller.text
        ? (Array.isArray(given) ? given.map((one) => fromText(String(one))) : undefined)
        : fromOption
        ? fromOption(given)
        : (Array.isArray(given) ? given : undefined);
      if (!items) throw refuse(this, caller, `takes a list of ${form}`);
      items.forEach((item, i) => {
        if (item === undefined || !valid(item)) {
          const original = caller.text ? (given as unknown[])[i] : item && showItem(item);
          throw refuse(this, caller, `takes ${form}, not ${quoted(original ?? given)}`);
        }
      });
      const problem = all?.(items as T[]);
      if (problem) throw refuse(this, caller, problem);
      return items as T[];
    },
  };
}

/** An input of any type, as sets and help layouts hold them. */
// deno-lint-ignore no-explicit-any
export type AnyInput = Input<any>;

/** A named set of inputs: the keys are the names values go by (the module's option names). */
export type Inputs = Record<string, AnyInput>;

/** The values of a set of inputs: each input's type, or undefined when it has no default. */
export type Values<S extends Inputs> = {
  [K in keyof S]: S[K] extends { default: infer D } ? D
    : S[K] extends Input<infer T> ? T | undefined
    : never;
};

/**
 * Every input's value, read from `given` (keyed by flag for text callers, by option for the
 * module); an input not given takes its default. The module's unknown options are refused.
 */
export function readValues<S extends Inputs>(
  inputs: S,
  given: Record<string, unknown>,
  caller: Caller,
): Values<S> {
  const values: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const [key, input] of Object.entries(inputs) as [string, Input<unknown>][]) {
    const name = caller.text ? input.flag : input.option;
    if (name === undefined) continue;
    known.add(name);
    const raw = given[name];
    values[key] = raw === undefined ? input.default : input.read(raw, caller);
  }
  if (!caller.text) {
    const unknown = Object.keys(given).find((name) =>
      !known.has(name) && given[name] !== undefined
    );
    if (unknown !== undefined) {
      // Named as the caller names its options (a routes file's "routes.prod.x").
      const name = caller.name({ flag: unknown, option: unknown } as Input<unknown>);
      throw invalidValue(name, `${name} is not an option (known: ${[...known].join(", ")})`);
    }
  }
  return values as Values<S>;
}

/** The input's value from the first of its variables that is set (and not empty), checked. */
export function fromEnvironment<T>(
  input: Input<T>,
  env: Record<string, string | undefined>,
): T | undefined {
  for (const name of input.env ?? []) {
    const value = env[name];
    if (value) return input.read(value, variable(name));
  }
  return undefined;
}
