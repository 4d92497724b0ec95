// What scripts/build promises, checked against what `make build` left in dist/: checksums that
// verify, Bun binaries that name their version and architecture, ELF files for the architecture
// their name says, linked against glibc. And, in a scratch copy so dist/ is not disturbed: the
// Deno side without a usable denort fails plainly and leaves no binary behind, yet weighs the
// Deno payload of both targets on a stand-in base; the summary gives each binary's bytes above
// its runtime's empty program (compiled here too, to check the figure), and more than the limit
// fails the build: a 5 MB module planted in the scratch sources fails it for Deno.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import process from "node:process";
import { type AddressInfo, createServer, type Server } from "node:net";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { binaryTarget, ROOT, runEpicac, runProcess } from "../support/epicac.ts";
import { DENO_PERMISSIONS } from "../../scripts/deno-permissions.ts";
import { BUN_TARGETS, bunCompileFlags, hostBunCache } from "../support/bun-build.ts";

const DIST = `${ROOT}dist`;
const VERSION: string = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")).version;
// The Bun the Makefile pins is the one the binaries must report.
const BUN_VERSION = /^BUN_VERSION\s*:=\s*(\S+)$/m.exec(readFileSync(`${ROOT}Makefile`, "utf8"))
  ?.[1];
const NATIVE = arch() === "arm64" ? "arm64" : "amd64";

const ARCHES = {
  amd64: {
    machine: 0x3e,
    loader: "/lib64/ld-linux-x86-64.so.2",
    node: "x64",
    deno: "x86_64-unknown-linux-gnu",
  },
  arm64: {
    machine: 0xb7,
    loader: "/lib/ld-linux-aarch64.so.1",
    node: "arm64",
    deno: "aarch64-unknown-linux-gnu",
  },
} as const;
type Arch = keyof typeof ARCHES;

/** The first `length` bytes at `offset`, without reading a 100 MiB file whole. */
function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    assert.equal(readSync(fd, buffer, 0, length, offset), length, `${file} is too short`);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

/** The ELF64 header fields these tests need, and the PT_INTERP path if there is one. */
function elfInfo(file: string) {
  const header = readBytes(file, 0, 64);
  assert.deepEqual([...header.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${file}: not an ELF`);
  const info = {
    class64: header[4] === 2,
    littleEndian: header[5] === 1,
    machine: header.readUInt16LE(18),
    interpreter: undefined as string | undefined,
  };
  const phoff = Number(header.readBigUInt64LE(0x20));
  const phentsize = header.readUInt16LE(0x36);
  const phnum = header.readUInt16LE(0x38);
  const table = readBytes(file, phoff, phentsize * phnum);
  for (let i = 0; i < phnum; i++) {
    const entry = table.subarray(i * phentsize, (i + 1) * phentsize);
    if (entry.readUInt32LE(0) !== 3) continue; // PT_INTERP
    const path = readBytes(
      file,
      Number(entry.readBigUInt64LE(8)),
      Number(entry.readBigUInt64LE(32)),
    );
    info.interpreter = path.toString("latin1").replace(/\0+$/, "");
  }
  return info;
}

test("dist/SHA256SUMS verifies with sha256sum -c and lists exactly the epicac-* files in dist/", async () => {
  const sums = readFileSync(`${DIST}/SHA256SUMS`, "utf8");
  const lines = sums.split("\n").filter(Boolean);
  for (const line of lines) assert.match(line, /^[0-9a-f]{64} {2}epicac-[a-z0-9-]+$/);
  const listed = lines.map((line) => line.slice(66)).sort();
  const present = readdirSync(DIST).filter((name) => name.startsWith("epicac-")).sort();
  assert.deepEqual(listed, present);
  // Bun binaries always build, so they are always there to check.
  assert.ok(listed.includes("epicac-bun-linux-amd64") && listed.includes("epicac-bun-linux-arm64"));
  const check = await runProcess("sha256sum", ["--check", "--strict", "SHA256SUMS"], {
    cwd: DIST,
  });
  assert.equal(check.code, 0, `sha256sum -c: ${check.stdout}${check.stderr}`);
});

for (const binaryArch of ["amd64", "arm64"] as const) {
  const name = `epicac-bun-linux-${binaryArch}`;
  const file = `${DIST}/${name}`;
  const expected = ARCHES[binaryArch];

  test(`dist/${name} reports epicac ${VERSION} (bun ${BUN_VERSION}, linux-${expected.node})`, async () => {
    assert.ok(BUN_VERSION, "the Makefile pins BUN_VERSION");
    const result = await runEpicac(binaryTarget("bun", binaryArch), ["--version"]);
    assert.equal(result.code, 0, `exit code (stderr: ${result.stderr})`);
    assert.equal(result.stderr, "");
    assert.equal(result.stdout, `epicac ${VERSION} (bun ${BUN_VERSION}, linux-${expected.node})\n`);
  });

  test(`dist/${name} is a 64-bit little-endian ELF for ${binaryArch}`, () => {
    const elf = elfInfo(file);
    assert.ok(elf.class64 && elf.littleEndian, "ELFCLASS64, ELFDATA2LSB");
    assert.equal(
      elf.machine,
      expected.machine,
      `e_machine 0x${elf.machine.toString(16)}, not ${binaryArch}`,
    );
  });

  test(`dist/${name} is dynamically linked against glibc (${expected.loader})`, async () => {
    assert.equal(elfInfo(file).interpreter, expected.loader, "ELF interpreter");
    // The loader's own list of what it would load: ldd here, or the arm64 loader under qemu.
    let list;
    if (binaryArch === NATIVE) list = await runProcess("ldd", [file]);
    else if (binaryArch === "arm64") {
      list = await runProcess("qemu-aarch64", [
        "-L",
        "/usr/aarch64-linux-gnu",
        "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1",
        "--list",
        file,
      ]);
    } else return; // an amd64 binary on an arm64 machine: the interpreter is what we can check
    assert.equal(list.code, 0, `listing libraries: ${list.stderr}`);
    // Only glibc's own libraries (as the README lists), which every glibc base image has.
    const libraries = [...list.stdout.matchAll(/^\s*(lib\S+) => \/\S+/gm)].map((m) => m[1]);
    assert.deepEqual(libraries.sort(), ["libc.so.6", "libdl.so.2", "libm.so.6", "libpthread.so.0"]);
  });
}

// The Deno side of scripts/build, run in a scratch copy of what it reads so dist/ is untouched.
let scratch = "";
let noNetwork: Server; // the proxy the scratch builds use: it drops every connection
let proxyConnections = 0;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "epicac-build-"));
  mkdirSync(`${scratch}/scripts`);
  for (
    const path of [
      "src",
      "package.json",
      "deno.json",
      "scripts/build",
      "scripts/payload.sh",
      "scripts/bun-compile-flags",
      "scripts/deno-bundle-flags",
      "scripts/deno-compile-flags",
      "scripts/deno-permissions.ts",
    ]
  ) {
    cpSync(`${ROOT}${path}`, `${scratch}/${path}`, { recursive: true });
  }
  symlinkSync(`${ROOT}node_modules`, `${scratch}/node_modules`);
  noNetwork = createServer((socket) => {
    proxyConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => noNetwork.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  await new Promise((resolve) => noNetwork?.close(resolve));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/**
 * `scripts/build deno` in the scratch copy: a fresh DENO_DIR (no cached denort) holding only the
 * esbuild that `deno bundle` uses (make build fetched it from npm), and no network.
 */
function buildDeno(env: Record<string, string> = {}) {
  const proxy = `http://127.0.0.1:${(noNetwork.address() as AddressInfo).port}`;
  const denoDir = mkdtempSync(join(tmpdir(), "epicac-build-deno-dir-"));
  const downloads = join(process.env.DENO_DIR ?? `${ROOT}.tools/deno-cache`, "dl");
  for (const name of readdirSync(downloads).filter((n) => n.startsWith("esbuild-"))) {
    cpSync(join(downloads, name), join(denoDir, "dl", name), { recursive: true });
  }
  return runProcess(`${scratch}/scripts/build`, ["deno"], {
    env: { DENO_DIR: denoDir, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, ...env },
    killAfterMs: 120_000,
  }).finally(() => rmSync(denoDir, { recursive: true, force: true }));
}

function denoBinariesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith("epicac-deno-"));
}

test("scripts/build deno with DENORT_BIN set to a full deno (a REPL, not epicac) fails and leaves no Deno binary", async () => {
  rmSync(`${scratch}/dist`, { recursive: true, force: true });
  mkdirSync(`${scratch}/dist`);
  // Another binary already in dist/, and checksums from an earlier build that listed a Deno one.
  writeFileSync(`${scratch}/dist/epicac-bun-linux-amd64`, "stand-in for a Bun binary\n");
  writeFileSync(`${scratch}/dist/SHA256SUMS`, `${"0".repeat(64)}  epicac-deno-linux-amd64\n`);

  const result = await buildDeno({ DENORT_BIN: `${ROOT}.tools/bin/deno` });
  assert.notEqual(result.code, 0, `it must fail (stdout: ${result.stdout})`);
  assert.deepEqual(denoBinariesIn(`${scratch}/dist`), []);
  // The binary for this machine's architecture was built on the full deno, ran, and was deleted.
  assert.match(
    result.stderr,
    new RegExp(`dist/epicac-deno-linux-${NATIVE} does not run as epicac .*deleted`),
  );
  for (const a of Object.keys(ARCHES) as Arch[]) {
    assert.match(result.stderr, new RegExp(`dist/epicac-deno-linux-${a} (NOT BUILT|does not run)`));
    assert.match(result.stdout, new RegExp(`not built +dist/epicac-deno-linux-${a}`));
  }
  // The checksums now describe what is there, and nothing that was deleted.
  const sums = readFileSync(`${scratch}/dist/SHA256SUMS`, "utf8");
  assert.match(sums, /^[0-9a-f]{64} {2}epicac-bun-linux-amd64\n$/);
  const check = await runProcess("sha256sum", ["--check", "--strict", "SHA256SUMS"], {
    cwd: `${scratch}/dist`,
  });
  assert.equal(check.code, 0, check.stdout + check.stderr);
});

/** The summary's payload line for epicac-deno-linux-`a`, weighed on the stand-in base. */
function standInLine(stdout: string, a: Arch): RegExpExecArray | null {
  return new RegExp(
    `^  not built  dist/epicac-deno-linux-${a} +\\(\\+(\\d+\\.\\d\\d) MB above Deno's empty program, on a stand-in base, (limit|OVER the) 2 MB( limit)?\\)$`,
    "m",
  ).exec(stdout);
}

test("scripts/build deno without DENORT_BIN and without network says NOT BUILT, names DENORT_BIN, and still weighs the payload on a stand-in base", async () => {
  rmSync(`${scratch}/dist`, { recursive: true, force: true });
  mkdirSync(`${scratch}/dist`);
  const connectionsBefore = proxyConnections;

  const result = await buildDeno();
  assert.equal(result.code, 1, `it must fail (stdout: ${result.stdout})`);
  assert.ok(proxyConnections > connectionsBefore, "deno compile tried to download its runtime");
  assert.deepEqual(denoBinariesIn(`${scratch}/dist`), []);
  assert.ok(existsSync(`${scratch}/dist/deno-bundle/main.js`), "the bundle the tests run");
  for (const a of Object.keys(ARCHES) as Arch[]) {
    const line = result.stderr.split("\n").find((l) => l.includes(`dist/epicac-deno-linux-${a}`));
    assert.ok(line, `stderr names dist/epicac-deno-linux-${a}: ${result.stderr}`);
    assert.match(line, /NOT BUILT/);
    assert.match(line, /DENORT_BIN/);
    assert.match(
      result.stderr,
      new RegExp(
        `Deno payload for ${ARCHES[a].deno} is weighed on a stand-in base, the pinned deno`,
      ),
    );
    const payload = standInLine(result.stdout, a);
    assert.ok(payload, `the summary's line for epicac-deno-linux-${a}:\n${result.stdout}`);
    assert.match(payload[2], /limit/);
    assert.ok(Number(payload[1]) > 0.1 && Number(payload[1]) <= 2, payload[0]);
  }
  // The figure, checked: the bundle compiled on the stand-in, less the empty program compiled so.
  const [bundled, empty] = await Promise.all([
    standInCompile(`${scratch}/dist/deno-bundle`),
    standInCompile(undefined),
  ]);
  assert.equal(standInLine(result.stdout, NATIVE)![1], megabytes(bundled - empty));
});

/** The size of a directory's main.js and files compiled as scripts/build does, on the pinned deno. */
async function standInCompile(program: string | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "epicac-build-stand-in-"));
  try {
    if (!program) {
      program = join(dir, "program");
      mkdirSync(program);
      writeFileSync(join(program, "main.js"), "");
    }
    const out = join(dir, `epicac-deno-linux-${NATIVE}`);
    const built = await runProcess("deno", [
      "compile",
      "--quiet",
      ...flagsIn("scripts/deno-compile-flags"),
      "--target",
      ARCHES[NATIVE].deno,
      ...DENO_PERMISSIONS,
      "--include",
      program,
      "--output",
      out,
      join(program, "main.js"),
    ], { env: { DENORT_BIN: realpathSync(`${ROOT}.tools/bin/deno`) }, killAfterMs: 120_000 });
    assert.equal(built.code, 0, `deno compile on the stand-in: ${built.stderr}`);
    return statSync(out).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flags in one of scripts/' flag files, one per line. */
function flagsIn(file: string): string[] {
  return readFileSync(`${ROOT}${file}`, "utf8").split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

test("scripts/build deno fails when the Deno payload passes its limit: a 5 MB module planted in the sources", async () => {
  rmSync(`${scratch}/dist`, { recursive: true, force: true });
  mkdirSync(`${scratch}/dist`);
  const main = readFileSync(`${scratch}/src/main.ts`, "utf8");
  // 5 MB that no minifier can drop or shrink: random, and stored where the program can read it.
  writeFileSync(
    `${scratch}/src/planted.ts`,
    `(globalThis as Record<string, unknown>).planted = "${
      Buffer.from(randomBytes(3_750_000)).toString("base64")
    }";\n`,
  );
  writeFileSync(`${scratch}/src/main.ts`, `import "./planted.ts";\n${main}`);
  try {
    const result = await buildDeno();
    assert.equal(result.code, 1, `it must fail (stdout: ${result.stdout})`);
    for (const a of Object.keys(ARCHES) as Arch[]) {
      assert.match(
        result.stderr,
        new RegExp(
          `^build: epicac-deno-linux-${a} is \\d+\\.\\d\\d MB above Deno's empty program, on a stand-in base, over the 2 MB limit: the build fails$`,
          "m",
        ),
      );
      const payload = standInLine(result.stdout, a);
      assert.ok(payload, `the summary's line for epicac-deno-linux-${a}:\n${result.stdout}`);
      assert.equal(payload[2], "OVER the");
      assert.ok(Number(payload[1]) > 5, payload[0]);
    }
    assert.deepEqual(denoBinariesIn(`${scratch}/dist`), []);
  } finally {
    writeFileSync(`${scratch}/src/main.ts`, main);
    rmSync(`${scratch}/src/planted.ts`);
  }
});

/** The size of Bun's empty program compiled as scripts/build compiles epicac for `binaryArch`. */
async function emptyProgramSize(binaryArch: Arch): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "epicac-build-empty-"));
  try {
    writeFileSync(`${dir}/empty.ts`, "");
    // The same output name as epicac's binary: Bun embeds it.
    const out = `epicac-bun-linux-${binaryArch}`;
    const flags = [...bunCompileFlags(), `--target=${BUN_TARGETS[binaryArch]}`, "--outfile", out];
    const built = await runProcess("bun", ["build", "empty.ts", ...flags], {
      cwd: dir,
      env: { BUN_INSTALL_CACHE_DIR: hostBunCache() },
      killAfterMs: 120_000,
    });
    assert.equal(built.code, 0, `bun build of the empty program: ${built.stderr}`);
    return statSync(`${dir}/${out}`).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** BYTES in MB (10^6 bytes) to hundredths, rounded half up, as scripts/build prints them. */
function megabytes(bytes: number): string {
  return (Math.floor((bytes + 5000) / 10000) / 100).toFixed(2);
}

/**
 * `scripts/build bun` in the scratch copy, with its own TMPDIR to see what it leaves there, and
 * the Bun cache `make build` filled (with the other architecture's runtime: no network here).
 */
async function buildBun(env: Record<string, string> = {}) {
  rmSync(`${scratch}/dist`, { recursive: true, force: true });
  const tmp = mkdtempSync(join(tmpdir(), "epicac-build-tmp-"));
  try {
    const result = await runProcess(`${scratch}/scripts/build`, ["bun"], {
      env: { TMPDIR: tmp, BUN_INSTALL_CACHE_DIR: hostBunCache(), ...env },
      killAfterMs: 300_000,
    });
    return { ...result, leftInTmp: readdirSync(tmp) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** dist/ holds the two Bun binaries and SHA256SUMS, which lists exactly them and verifies. */
async function assertOnlyEpicacInDist() {
  const dist = `${scratch}/dist`;
  assert.deepEqual(readdirSync(dist).sort(), [
    "SHA256SUMS",
    "epicac-bun-linux-amd64",
    "epicac-bun-linux-arm64",
  ]);
  const listed = readFileSync(`${dist}/SHA256SUMS`, "utf8").split("\n").filter(Boolean)
    .map((line) => line.slice(66));
  assert.deepEqual(listed, ["epicac-bun-linux-amd64", "epicac-bun-linux-arm64"]);
  const check = await runProcess("sha256sum", ["--check", "--strict", "SHA256SUMS"], { cwd: dist });
  assert.equal(check.code, 0, check.stdout + check.stderr);
}

test("scripts/build bun gives each Bun binary's size and its bytes above Bun's empty program, within the 5.5 MB limit", async () => {
  const result = await buildBun();
  assert.equal(result.code, 0, `scripts/build bun: ${result.stdout}${result.stderr}`);
  assert.deepEqual(result.leftInTmp, [], "the empty programs are removed");
  await assertOnlyEpicacInDist();
  for (const a of Object.keys(ARCHES) as Arch[]) {
    const file = `${scratch}/dist/epicac-bun-linux-${a}`;
    const line = new RegExp(
      `^  built      dist/epicac-bun-linux-${a} +(\\d+) MiB \\(\\+(\\d+\\.\\d\\d) MB above Bun's empty program, limit 5\\.5 MB\\)$`,
      "m",
    ).exec(result.stdout);
    assert.ok(line, `the summary's line for epicac-bun-linux-${a}:\n${result.stdout}`);
    const size = statSync(file).size;
    assert.ok(Math.abs(Number(line[1]) - size / 2 ** 20) <= 1, `${line[1]} MiB for ${size} bytes`);
    const payload = size - await emptyProgramSize(a);
    assert.equal(line[2], megabytes(payload), `${payload} bytes above the empty program`);
    assert.ok(payload > 0 && payload <= 5_500_000);
  }
});

test("a payload limit that is not a number of MB stops the build before it starts, naming the variable", async () => {
  const result = await buildBun({ BUN_PAYLOAD_LIMIT_MB: "5,5" });
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /^build: BUN_PAYLOAD_LIMIT_MB must be a number of MB .*'5,5'/m);
  assert.equal(existsSync(`${scratch}/dist/epicac-bun-linux-amd64`), false);
});

test("scripts/build bun fails when a Bun binary is over the limit, says so, and keeps the binaries", async () => {
  const result = await buildBun({ BUN_PAYLOAD_LIMIT_MB: "0" });
  assert.notEqual(result.code, 0, `it must fail (stdout: ${result.stdout})`);
  for (const a of Object.keys(ARCHES) as Arch[]) {
    assert.match(
      result.stderr,
      new RegExp(
        `^build: epicac-bun-linux-${a} is \\d+\\.\\d\\d MB above Bun's empty program, over the 0 MB limit`,
        "m",
      ),
    );
    assert.match(
      result.stdout,
      new RegExp(
        `dist/epicac-bun-linux-${a} .*MB above Bun's empty program, OVER the 0 MB limit\\)$`,
        "m",
      ),
    );
    assert.ok(existsSync(`${scratch}/dist/epicac-bun-linux-${a}`));
  }
  await assertOnlyEpicacInDist();
});
