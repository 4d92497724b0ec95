// Import cycles in a tree of TypeScript modules: static, dynamic and type-only relative imports
// all count (a type-only cycle still means two modules know too much about each other).
//   deno run --allow-read scripts/import-cycles.ts [DIR]   (default src/; exit 1 on a cycle)

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,]+\s+from\s+)?\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** Every .ts file under `dir`, with the relative modules it imports. */
export function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) {
        // Comments are not imports: a doc comment may show an example import.
        const code = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(
          /^\s*\/\/.*$/gm,
          "",
        );
        const targets = [...code.matchAll(IMPORT)].map((m) => normalize(join(dirname(path), m[1])));
        graph.set(normalize(path), [...new Set(targets)]);
      }
    }
  };
  walk(dir);
  return graph;
}

/**
 * The groups of modules that import each other, directly or not (Tarjan's strongly connected
 * components): every group of two or more, or a module that imports itself, is a cycle.
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || graph.get(node)!.includes(node)) cycles.push(group.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return cycles;
}

if (import.meta.main) {
  const dir = process.argv[2] ?? "src";
  const cycles = findCycles(importGraph(dir));
  for (const cycle of cycles) {
    console.error(`import cycle among: ${cycle.map((f) => relative(".", f)).join(", ")}`);
  }
  if (cycles.length > 0) process.exit(1);
  console.log(`no import cycle in ${dir}`);
}
