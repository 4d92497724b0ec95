// The environment epicac reads its set-up from: the process's own, or one a module caller gives.

/** Variable names and their values, as in `process.env`. */
export type Env = Record<string, string | undefined>;
