/**
 * The service files, checked here as far as this machine can: the systemd unit by systemd itself
 * (`systemd-analyze verify` and its offline security score; Debian package systemd), the Dockerfile
 * by parsing it (dockerfile-ast) and following what it copies, the compose file by dclint (the Compose
 * Specification's JSON schema) and by following its mounts. No Docker engine runs here, so neither
 * image is built in this test; what the Dockerfile's `npm ci --omit=dev` relies on is checked
 * statically: every package the keeper and the tasks can load is a runtime dependency.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { parse as parseYaml } from "yaml";
import { loadKeeperConfig } from "../../../keeper/config/load";
import { requireDebianProgram } from "../../shared/debian-tool";
import { REPO_ROOT } from "./ops-artefacts";

const UNIT = path.join(REPO_ROOT, "ops/systemd/chimera-keeper.service");
const repoFile = (relative: string) => fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");

/** `[Section]` → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    const key = line.slice(0, eq);
    current!.set(key, [...(current!.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** A copy of the unit where the node binary is this machine's (systemd checks ExecStart's program exists). */
function unitForThisMachine(directory: string, text = fs.readFileSync(UNIT, "utf8")): string {
  const file = path.join(directory, "chimera-keeper.service");
  fs.writeFileSync(file, fs.existsSync("/usr/bin/node") ? text : text.replaceAll("/usr/bin/node", process.execPath));
  return file;
}

/** .dockerignore semantics, enough for this file: path prefixes and `*` globs, later `!` lines re-include. */
function dockerIgnored(relative: string, patterns: readonly string[]): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/$/, "");
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/.*)?$`);
    if (regex.test(relative)) ignored = !negated;
  }
  return ignored;
}

/** Relative and bare module specifiers of a TypeScript file (static, side-effect, dynamic and require imports). */
function specifiersOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const patterns = [
    /^\s*(?:import|export)\s(?!type\s)[^;]*?\bfrom\s+["']([^"']+)["']/gm,
    /^\s*import\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!)).filter((s) => !s.includes("${"));
}

function resolveLocal(from: string, specifier: string): string | null {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, `${base}.json`, path.join(base, "index.ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Every repository file and npm package reachable from `entry` by imports. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (!file.endsWith(".ts")) continue;
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith(".")) {
        const resolved = resolveLocal(file, specifier);
        if (resolved !== null && !resolved.includes(`${path.sep}typechain-types${path.sep}`)) queue.push(resolved);
      } else if (!specifier.startsWith("node:")) {
        const parts = specifier.split("/");
        packages.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
      }
    }
  }
  return { files, packages };
}

const NODE_BUILTINS = new Set([
  "fs",
  "path",
  "os",
  "http",
  "https",
  "crypto",
  "child_process",
  "net",
  "url",
  "util",
  "stream",
  "events",
  "assert",
  "zlib",
]);

describe("ops: service files", () => {
  describe("systemd unit", () => {
    let systemdAnalyze: string;
    let scratch: string;
    before(function () {
      systemdAnalyze = requireDebianProgram(this, "systemd-analyze", "systemd");
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-unit-"));
    });
    after(() => {
      if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
    });

    it("passes systemd-analyze verify without a single warning (and the check catches a misspelt directive)", () => {
      const clean = spawnSync(systemdAnalyze, ["verify", unitForThisMachine(scratch)], { encoding: "utf8" });
      expect(clean.status, clean.stderr).to.equal(0);
      expect(`${clean.stdout}${clean.stderr}`.trim()).to.equal("");
      const misspelt = fs.readFileSync(UNIT, "utf8").replace("ProtectSystem=strict", "ProtectSystm=strict");
      const broken = spawnSync(systemdAnalyze, ["verify", unitForThisMachine(scratch, misspelt)], { encoding: "utf8" });
      expect(`${broken.stdout}${broken.stderr}`).to.match(/Unknown key 'ProtectSystm'/);
    });

    it("scores as hardened in systemd's own offline security review (exposure 2.0 or less out of 10)", () => {
      const review = spawnSync(systemdAnalyze, ["security", "--offline=yes", "--threshold=20", "--no-pager", unitForThisMachine(scratch)], {
        encoding: "utf8",
      });
      expect(review.status, review.stdout.split("\n").slice(-3).join("\n")).to.equal(0);
      expect(review.stdout).to.match(/Overall exposure level for chimera-keeper\.service: [0-2]\.\d/);
    });

    it("runs as its own user from an EnvironmentFile, restarts on failure, and may write only its state directory", () => {
      const unit = parseUnit(fs.readFileSync(UNIT, "utf8"));
      const service = unit.get("Service")!;
      const one = (key: string) => service.get(key)?.join(" ");
      expect(one("User")).to.equal("chimera");
      expect(one("Group")).to.equal("chimera");
      expect(one("EnvironmentFile")).to.equal("/etc/chimera/keeper.env");
      expect(one("Restart")).to.equal("on-failure");
      expect(one("NoNewPrivileges")).to.equal("yes");
      expect(one("ProtectSystem")).to.equal("strict");
      expect(one("ProtectHome")).to.equal("yes");
      expect(one("StateDirectory")).to.equal("chimera");
      expect(one("ReadWritePaths")).to.equal("/var/lib/chimera");
      expect(one("CapabilityBoundingSet")).to.equal("");
      // The keeper's clean stop (journals the shutdown, saves risk state) is SIGINT.
      expect(one("KillSignal")).to.equal("SIGINT");
      expect(one("ExecStart")).to.include("--journal /var/lib/chimera/data/");
      expect(one("Environment")).to.include("CHIMERA_PREBUILT=1");
      expect(unit.get("Unit")!.get("StartLimitBurst")).to.deep.equal(["5"]);
      expect(unit.get("Install")!.get("WantedBy")).to.deep.equal(["multi-user.target"]);
    });
  });

  describe("Dockerfile", () => {
    const dockerfile = DockerfileParser.parse(repoFile("Dockerfile"));
    const instructions = dockerfile.getInstructions();
    const ignore = repoFile(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    const args = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());
    const copies = instructions.filter((i) => i.getKeyword() === "COPY");
    const fromStage = (instruction: Instruction) =>
      (instruction as Instruction & { getFlags(): { getName(): string; getValue(): string | null }[] })
        .getFlags()
        .find((flag) => flag.getName() === "from")
        ?.getValue() ?? null;
    const copiedFromContext = copies.filter((i) => fromStage(i) === null);

    it("builds in two named stages and runs as an unprivileged user", () => {
      const stages = instructions.filter((i) => i.getKeyword() === "FROM").map((i) => args(i));
      expect(stages.map((a) => a.at(-1))).to.deep.equal(["build", "runtime"]);
      const runtimeStart = instructions.findIndex((i) => i.getKeyword() === "FROM" && args(i).at(-1) === "runtime");
      const users = instructions
        .slice(runtimeStart)
        .filter((i) => i.getKeyword() === "USER")
        .map((i) => args(i)[0]);
      expect(users.at(-1)).to.equal("chimera");
      expect(users).to.not.include("root");
      const fromOtherStages = copies.map(fromStage).filter((stage) => stage !== null);
      expect(fromOtherStages).to.deep.equal(["build"]);
    });

    it("installs the runtime dependencies only, compiles at build time and runs without compiling", () => {
      const runs = instructions.filter((i) => i.getKeyword() === "RUN").map((i) => args(i).join(" "));
      expect(runs.some((r) => /npm ci --omit=dev\b/.test(r))).to.equal(true);
      expect(runs.some((r) => /hardhat compile/.test(r))).to.equal(true);
      const env = instructions
        .filter((i) => i.getKeyword() === "ENV")
        .map((i) => args(i).join(" "))
        .join(" ");
      expect(env).to.include("CHIMERA_PREBUILT=1");
      const health = instructions.find((i) => i.getKeyword() === "HEALTHCHECK");
      expect(args(health!).join(" ")).to.include("/healthz");
      expect(instructions.filter((i) => i.getKeyword() === "EXPOSE").map((i) => args(i)[0])).to.deep.equal(["9464"]);
    });

    it("copies only files that exist and that .dockerignore lets into the build context", () => {
      expect(copiedFromContext.length).to.be.greaterThan(5);
      for (const copy of copiedFromContext) {
        for (const source of args(copy).slice(0, -1)) {
          expect(fs.existsSync(path.join(REPO_ROOT, source)), `COPY ${source}: exists`).to.equal(true);
          expect(dockerIgnored(source, ignore), `COPY ${source}: not in .dockerignore`).to.equal(false);
        }
      }
      for (const secret of [".env", "data/keeper-base.sqlite", "node_modules/x", "reports/run.json"]) {
        expect(dockerIgnored(secret, ignore), `${secret} stays out of the build context`).to.equal(true);
      }
    });

    it("copies every file the keeper and the tasks load from hardhat.config.ts, and needs only runtime dependencies", () => {
      const graph = importGraph(path.join(REPO_ROOT, "hardhat.config.ts"));
      const copied = copiedFromContext.flatMap((copy) => args(copy).slice(0, -1));
      const outside = [...graph.files]
        .map((file) => path.relative(REPO_ROOT, file))
        .filter((file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)));
      expect(outside, "files the config reaches that the image lacks").to.deep.equal([]);
      expect(graph.files.size, "files reached from hardhat.config.ts").to.be.greaterThan(100);

      const manifest = JSON.parse(repoFile("package.json")) as { dependencies: Record<string, string> };
      const missing = [...graph.packages].filter((name) => !NODE_BUILTINS.has(name) && manifest.dependencies[name] === undefined);
      expect(missing, "packages loaded at run time but not in dependencies (npm ci --omit=dev would drop them)").to.deep.equal([]);
    });
  });

  describe("compose.yaml", () => {
    interface Service {
      readonly build?: unknown;
      readonly image?: string;
      readonly volumes?: readonly string[];
      readonly ports?: readonly string[];
      readonly env_file?: string;
      readonly environment?: Record<string, string>;
    }
    const compose = parseYaml(repoFile("compose.yaml")) as { services: Record<string, Service> };

    it("is valid for the Compose Specification (dclint, errors only)", () => {
      const dclint = path.join(REPO_ROOT, "node_modules/dclint/bin/dclint.cjs");
      const lint = spawnSync(process.execPath, [dclint, "--quiet", "--formatter", "json", "compose.yaml"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
      });
      expect(lint.status, lint.stdout + lint.stderr).to.equal(0);
    });

    it("runs the keeper, Postgres, Prometheus and Grafana, mounting files that exist at the paths their configs name", () => {
      expect(Object.keys(compose.services)).to.include.members(["keeper", "postgres", "prometheus", "grafana"]);
      for (const [name, service] of Object.entries(compose.services)) {
        for (const volume of service.volumes ?? []) {
          const source = volume.split(":")[0]!;
          if (source.startsWith("./") && !source.startsWith("./secrets"))
            expect(fs.existsSync(path.join(REPO_ROOT, source)), `${name}: ${source}`).to.equal(true);
        }
        for (const port of service.ports ?? []) expect(port, `${name} publishes on loopback only`).to.match(/^127\.0\.0\.1:/);
      }
      expect(compose.services.keeper!.build).to.not.equal(undefined);
      expect(compose.services.keeper!.env_file).to.equal("./keeper.env");
      // Prometheus reads ops/prometheus/prometheus.yml, which scrapes the keeper service on its port.
      expect(compose.services.prometheus!.volumes).to.include("./ops/prometheus:/etc/prometheus:ro");
      const prometheus = parseYaml(repoFile("ops/prometheus/prometheus.yml")) as {
        scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      };
      const job = prometheus.scrape_configs.find((c) => c.job_name === "chimera-keeper")!;
      expect(job.static_configs[0]!.targets).to.deep.equal(["keeper:9464"]);
      // Inside the container the keeper listens on every interface (compose publishes it on loopback only): the
      // config opts in explicitly, and loads as the keeper loads it (a non-loopback host without the opt-in is refused).
      const keeperConfigFile = path.join(REPO_ROOT, "ops/docker/keeper.base.json");
      const keeperConfig = loadKeeperConfig({ network: "base", file: keeperConfigFile, env: {}, checkEnv: false });
      expect(keeperConfig.metrics).to.deep.include({ host: "0.0.0.0", port: 9464, exposeBeyondLoopback: true });
      // Grafana: the provisioning folder and the dashboards folder its provider reads.
      expect(compose.services.grafana!.volumes).to.include.members([
        "./ops/grafana/provisioning:/etc/grafana/provisioning:ro",
        "./ops/grafana/dashboards:/var/lib/grafana/dashboards:ro",
      ]);
    });

    it("holds no secret: passwords come from the environment, keys from keeper.env", () => {
      const text = repoFile("compose.yaml");
      expect(text).to.not.match(/0x[0-9a-fA-F]{64}/);
      for (const service of Object.values(compose.services)) {
        for (const [key, value] of Object.entries(service.environment ?? {})) {
          if (/PASSWORD|SECRET|KEY|TOKEN/.test(key)) expect(String(value), key).to.match(/^\$\{\w+:\?/);
        }
      }
    });
  });
});
