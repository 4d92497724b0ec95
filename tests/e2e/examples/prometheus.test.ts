// examples/prometheus: epicac's alerts as a PrometheusRule, and promtool's unit tests of them.
// No cluster and no Prometheus run here, so:
// - the PrometheusRule is validated against the Prometheus operator's API schema by the npm
//   package @kubernetes-models/prometheus-operator (validators compiled from the operator's v1
//   types), which runs offline under Deno and Bun alike; a field the schema does not know is
//   refused too, as the API server's strict field validation refuses it;
// - its spec, written as a plain rules file, must pass `promtool check rules`, and `promtool test
//   rules` runs epicac-rules.test.yaml on it. promtool comes from Debian's prometheus package
//   (scripts/ensure-system-packages installs it where it can); without it those cases are skipped;
// - every metric an expression or a test series names is one its command exports;
// - every alert carries its severity, a summary and a description that says what to check, and
//   the unit tests both fire it and keep it quiet on a healthy serve and node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import {
  EXAMPLES,
  type Json,
  list,
  type Obj,
  obj,
  schemaCheck,
  type SchemaError,
  yamlDocuments,
} from "../../support/examples.ts";
import { runProcess } from "../../support/epicac.ts";
import { nodeMetrics, serveMetrics } from "../../../scripts/metric-families.ts";

const DIR = join(EXAMPLES, "prometheus");
const RULES = join(DIR, "epicac-rules.yaml");
const UNIT_TESTS = join(DIR, "epicac-rules.test.yaml");
/** The plain rules file the unit tests name: the PrometheusRule's spec. */
const GROUPS_FILE = "epicac-rules.groups.yaml";

// The metrics each command exports, by name, as its own code renders them.
const SERVE_METRICS = serveMetrics().map((f) => f.name);
const NODE_METRICS = nodeMetrics().map((f) => f.name);
const METRICS_OF_GROUP: Record<string, string[]> = {
  "epicac-serve": SERVE_METRICS,
  "epicac-node": NODE_METRICS,
};

// What each alert is for: its severity, whether it waits (`for`) before firing, and what its
// description must send the reader to (the log events named, the commands to run).
const ALERTS: Record<string, { severity: string; waits: boolean; mentions: string[] }> = {
  EpicacServeRouteNotReady: {
    severity: "critical",
    waits: true,
    mentions: ["kubectl logs", '"refresh failed"', "epicac doctor"],
  },
  EpicacServeRefreshFailing: {
    severity: "warning",
    waits: true,
    mentions: ["kubectl logs", '"refresh failed"', "epicac doctor"],
  },
  EpicacServeCredentialsExpiring: {
    severity: "critical",
    waits: true,
    mentions: ["kubectl logs", '"refresh failed"', "epicac doctor", "450 s"],
  },
  EpicacServeRequestsRefused: {
    severity: "warning",
    waits: true,
    mentions: ["kubectl logs", '"requests refused"', "epicac doctor", "starting point"],
  },
  EpicacNodeNotListening: {
    severity: "critical",
    waits: true,
    mentions: ["kubectl logs", '"address in use"', "/readyz"],
  },
  EpicacNodeAddressInUse: {
    severity: "critical",
    waits: false,
    mentions: ["kubectl logs", '"address in use"', "ss -ltnp"],
  },
  EpicacNodeChainFailures: {
    severity: "warning",
    waits: true,
    mentions: ["kubectl logs", "epicac config --trust-policies"],
  },
  EpicacNodeRequestsRefused: {
    severity: "warning",
    waits: true,
    mentions: ["kubectl logs", "epicac doctor", "starting point"],
  },
  EpicacNodeRoutesRefused: {
    severity: "warning",
    waits: false,
    mentions: ["kubectl logs", '"routes refused"'],
  },
};

// ---------------------------------------------------------------------------------------------
// Reading the files

async function prometheusRule(): Promise<Obj> {
  const docs = (await yamlDocuments()).get(RULES);
  assert.ok(docs, "prometheus/epicac-rules.yaml is a YAML file of examples/prometheus");
  assert.equal(docs.length, 1, "prometheus/epicac-rules.yaml: one document");
  return docs[0];
}

interface Rule {
  group: string;
  rule: Obj;
  alert: string;
  expr: string;
}

async function rules(): Promise<Rule[]> {
  const spec = obj((await prometheusRule()).spec, "spec");
  return list(spec.groups, "spec.groups").flatMap((g) => {
    const group = obj(g, "group");
    return list(group.rules, `group ${group.name} rules`).map((r) => {
      const rule = obj(r, `a rule of ${group.name}`);
      assert.equal(typeof rule.alert, "string", `${group.name}: every rule is an alert`);
      assert.equal(typeof rule.expr, "string", `${rule.alert}: expr`);
      return {
        group: String(group.name),
        rule,
        alert: String(rule.alert),
        expr: String(rule.expr),
      };
    });
  });
}

async function unitTests(): Promise<Obj> {
  const docs = (await yamlDocuments()).get(UNIT_TESTS);
  assert.ok(docs, "prometheus/epicac-rules.test.yaml is a YAML file of examples/prometheus");
  assert.equal(docs.length, 1, "prometheus/epicac-rules.test.yaml: one document");
  return docs[0];
}

const strings = (value: Json | undefined, what: string): Record<string, string> => {
  const map = obj(value, what);
  for (const [key, v] of Object.entries(map)) {
    assert.equal(typeof v, "string", `${what}: ${key} is a string`);
  }
  return map as Record<string, string>;
};

// ---------------------------------------------------------------------------------------------
// The operator's schema

/** The operator's validator's complaints about `doc` (none: valid). */
function complaints(doc: unknown): SchemaError[] {
  try {
    // The model's validate() runs the compiled validator on `this`: here, the recording proxy.
    PrometheusRule.prototype.validate.call(doc as PrometheusRule);
    return [];
  } catch (error) {
    const found = (error as { errors?: SchemaError[] }).errors;
    assert.ok(found, `the validator failed without a verdict: ${error}`);
    return found;
  }
}

test("prometheus/epicac-rules.yaml: a PrometheusRule valid against the Prometheus operator's schema, with no unknown field", async () => {
  const doc = await prometheusRule();
  assert.equal(doc.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(doc.kind, "PrometheusRule");
  const { errors, unknown } = schemaCheck(doc, complaints);
  assert.deepEqual(errors, [], "the operator's schema refuses it");
  assert.deepEqual(unknown, [], "fields the operator's schema does not know");
  // The check finds a field at the wrong level: an alert's severity belongs in its labels.
  const misplaced = structuredClone(doc);
  const group = obj(list(obj(misplaced.spec, "spec").groups, "groups")[0], "group");
  obj(list(group.rules, "rules")[0], "rule").severity = "critical";
  assert.deepEqual(
    schemaCheck(misplaced, complaints).unknown,
    ["/spec/groups/0/rules/0/severity"],
    "a field the operator's schema does not know is found",
  );
});

// ---------------------------------------------------------------------------------------------
// The metrics named

const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "atan2",
  "inf",
  "nan",
]);

/**
 * The metric names of a PromQL expression: its identifiers that are not a function or an
 * aggregation (followed by "("), a keyword, a label (inside {} or a by/on/without list), a
 * string, a duration or a number.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:])(\s*\()?/g)]
    .filter(([, name, call]) => !call && !KEYWORDS.has(name.toLowerCase()))
    .map(([, name]) => name);
  return [...new Set(names)].sort();
}

test("prometheus: metricNames finds the metrics of an expression, not its functions or labels", () => {
  assert.deepEqual(
    metricNames(
      'sum without (route, status) (rate(a_total{status=~"401|403"}[5m])) > 0.05\n' +
        "  and on (job, instance) b or max by (pod) (c offset 5m) > bool 1e3",
    ),
    ["a_total", "b", "c"],
  );
});

test("prometheus/epicac-rules.yaml: every metric an expression names is one its command exports", async () => {
  const all = await rules();
  assert.deepEqual(
    [...new Set(all.map((r) => r.group))],
    Object.keys(METRICS_OF_GROUP),
    "one group for serve, one for node",
  );
  for (const { group, alert, expr } of all) {
    const names = metricNames(expr);
    assert.ok(names.length > 0, `${alert}: its expression names a metric`);
    for (const name of names) {
      assert.ok(
        METRICS_OF_GROUP[group].includes(name),
        `${alert} (${group}): ${name} is not a metric of ${group.replace("epicac-", "epicac ")}`,
      );
    }
  }
});

test("prometheus/epicac-rules.test.yaml: every input series is a metric epicac exports", async () => {
  const exported = new Set([...SERVE_METRICS, ...NODE_METRICS]);
  const groups = list((await unitTests()).tests, "tests").map((t) => obj(t, "test group"));
  for (const group of groups) {
    for (const input of list(group.input_series, `${group.name}: input_series`)) {
      const series = String(obj(input, "input series").series);
      const name = /^([a-zA-Z_:][\w:]*)\{/.exec(series)?.[1];
      assert.ok(name && exported.has(name), `${group.name}: ${series} is not an epicac metric`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// What each alert says, and its unit tests

test("prometheus/epicac-rules.yaml: each alert's severity, wait, summary and description", async () => {
  const all = await rules();
  assert.deepEqual(all.map((r) => r.alert).sort(), Object.keys(ALERTS).sort(), "the alerts");
  for (const { alert, rule } of all) {
    const expected = ALERTS[alert];
    const labels = strings(rule.labels, `${alert}: labels`);
    assert.deepEqual(labels, { severity: expected.severity }, `${alert}: labels`);
    assert.equal(rule.for !== undefined, expected.waits, `${alert}: for`);
    const annotations = strings(rule.annotations, `${alert}: annotations`);
    assert.deepEqual(Object.keys(annotations).sort(), ["description", "summary"], alert);
    assert.match(
      annotations.summary,
      /\{\{ \$labels\.pod \}\}/,
      `${alert}: the summary names the pod`,
    );
    for (const words of expected.mentions) {
      assert.ok(
        annotations.description.includes(words),
        `${alert}: the description names ${words}`,
      );
    }
  }
});

test("prometheus/epicac-rules.yaml: the refusal alerts compare a rate with a threshold", async () => {
  const refusals = (await rules()).filter((r) => r.alert.endsWith("RequestsRefused"));
  assert.equal(refusals.length, 2, "serve's and node's");
  for (const { alert, expr, rule } of refusals) {
    assert.match(expr, /\brate\(epicac_requests_total\{status=~"[\d|]+"\}\[\d+m\]\)/, alert);
    const threshold = /\)\) > (\d+(?:\.\d+)?)(?:\s|$)/.exec(expr)?.[1];
    assert.ok(threshold, `${alert}: rate > threshold`);
    const { description } = strings(rule.annotations, alert);
    assert.ok(description.includes(`more than ${threshold} requests a second`), alert);
  }
});

test("prometheus/epicac-rules.test.yaml: fires every alert with its severity, and holds each quiet on a healthy serve and node", async () => {
  const doc = await unitTests();
  assert.deepEqual(doc.rule_files, [GROUPS_FILE], "the unit tests read the spec's groups");
  const fired = new Set<string>();
  const quiet = new Set<string>();
  const quietWhenHealthy = new Set<string>();
  for (const g of list(doc.tests, "tests")) {
    const group = obj(g, "test group");
    for (const c of list(group.alert_rule_test, `${group.name}: alert_rule_test`)) {
      const check = obj(c, "alert_rule_test");
      const alert = String(check.alertname);
      assert.ok(ALERTS[alert], `${group.name}: ${alert} is an alert of the rules`);
      const expected = list(check.exp_alerts ?? [], `${alert}: exp_alerts`);
      if (expected.length === 0) {
        quiet.add(alert);
        if (/^a healthy/.test(String(group.name))) quietWhenHealthy.add(alert);
      } else fired.add(alert);
      for (const e of expected) {
        const labels = strings(obj(e, "expected alert").exp_labels, `${alert}: exp_labels`);
        assert.equal(labels.severity, ALERTS[alert].severity, `${group.name}: ${alert}'s severity`);
        const annotations = strings(obj(e, "expected alert").exp_annotations, alert);
        assert.deepEqual(Object.keys(annotations).sort(), ["description", "summary"], alert);
      }
    }
  }
  const every = Object.keys(ALERTS).sort();
  assert.deepEqual([...fired].sort(), every, "alerts some test fires");
  assert.deepEqual([...quiet].sort(), every, "alerts some test expects quiet");
  assert.deepEqual(
    [...quietWhenHealthy].sort(),
    every,
    "alerts quiet on the healthy serve and node",
  );
});

// ---------------------------------------------------------------------------------------------
// promtool

function promtoolInstalled(): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      return dir !== "" && readdirSync(dir).includes("promtool");
    } catch {
      return false;
    }
  });
}

const NO_PROMTOOL = promtoolInstalled()
  ? false
  : "promtool is not installed (Debian's prometheus package)";

/** Runs `promtool ARGS` in a directory holding the spec's groups as GROUPS_FILE. */
async function promtool(args: (dir: string) => string[]) {
  const spec = obj((await prometheusRule()).spec, "spec");
  const dir = mkdtempSync(join(tmpdir(), "epicac-promtool-"));
  try {
    // JSON is YAML: the groups exactly as both parsers read them.
    writeFileSync(join(dir, GROUPS_FILE), JSON.stringify(spec, null, 2));
    copyFileSync(UNIT_TESTS, join(dir, "epicac-rules.test.yaml"));
    const result = await runProcess("promtool", args(dir), { killAfterMs: 120_000 });
    return { ...result, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("prometheus/epicac-rules.yaml: its groups pass promtool check rules", {
  skip: NO_PROMTOOL,
}, async () => {
  const result = await promtool((dir) => ["check", "rules", join(dir, GROUPS_FILE)]);
  assert.equal(result.code, 0, `promtool check rules failed:\n${result.output}`);
  const count = Object.keys(ALERTS).length;
  assert.match(result.output, new RegExp(`SUCCESS: ${count} rules found`), result.output);
});

test("prometheus/epicac-rules.test.yaml: promtool test rules passes", {
  skip: NO_PROMTOOL,
}, async () => {
  const result = await promtool((dir) => ["test", "rules", join(dir, "epicac-rules.test.yaml")]);
  assert.equal(result.code, 0, `promtool test rules failed:\n${result.output}`);
  assert.match(result.output, /SUCCESS/, result.output);
});
