/**
 * tasks/typechain-freshness.ts skips TypeChain when nothing it reads has changed. These cases try to make it
 * skip when it must not: a changed, added or removed artifact, an external artifact rewritten by an npm update,
 * a compile that emitted artifacts, a cleaned output folder, a full `typechain` rebuild.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import type { HardhatConfig } from "hardhat/types";
import { emittedArtifactCount, TYPECHAIN_STAMP_FILE, typechainInputsStamp } from "../../../tasks/typechain-freshness";

type StampConfig = Pick<HardhatConfig, "paths" | "typechain">;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe("TypeChain runs only when its inputs changed", function () {
  let root: string;
  let config: StampConfig;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "chimera-typechain-stamp-"));
    write(path.join(root, "artifacts/contracts/A.sol/A.json"), '{"abi":[]}');
    write(path.join(root, "node_modules/protocol/Pool.json"), '{"abi":[]}');
    config = {
      paths: { root, artifacts: path.join(root, "artifacts") },
      typechain: { outDir: "typechain-types", target: "ethers-v6", externalArtifacts: ["node_modules/protocol/Pool.json"] },
    } as unknown as StampConfig;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("gives the same stamp for the same inputs", () => {
    expect(typechainInputsStamp(config)).to.equal(typechainInputsStamp(config));
  });

  it("changes when a compiled artifact changes size, or one is added or removed", () => {
    const before = typechainInputsStamp(config);
    write(path.join(root, "artifacts/contracts/A.sol/A.json"), '{"abi":[1]}');
    const changed = typechainInputsStamp(config);
    expect(changed).to.not.equal(before);
    write(path.join(root, "artifacts/contracts/B.sol/B.json"), "{}");
    const added = typechainInputsStamp(config);
    expect(added).to.not.equal(changed);
    fs.rmSync(path.join(root, "artifacts/contracts/B.sol"), { recursive: true });
    expect(typechainInputsStamp(config)).to.equal(changed);
  });

  it("changes when an external artifact is rewritten with the same size (an npm reinstall) or goes missing", () => {
    const file = path.join(root, "node_modules/protocol/Pool.json");
    const before = typechainInputsStamp(config);
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file, later, later);
    const touched = typechainInputsStamp(config);
    expect(touched).to.not.equal(before);
    fs.rmSync(file);
    expect(typechainInputsStamp(config)).to.not.equal(touched);
  });

  it("ignores build-info and debug files, which TypeChain does not read", () => {
    const before = typechainInputsStamp(config);
    write(path.join(root, "artifacts/build-info/0123.json"), "{}");
    write(path.join(root, "artifacts/contracts/A.sol/A.dbg.json"), "{}");
    expect(typechainInputsStamp(config)).to.equal(before);
  });

  it("changes with the target", () => {
    const other = { ...config, typechain: { ...config.typechain, target: "ethers-v5" } } as StampConfig;
    expect(typechainInputsStamp(other)).to.not.equal(typechainInputsStamp(config));
  });

  it("counts the artifacts a compile emitted", () => {
    expect(emittedArtifactCount({ artifactsEmittedPerJob: [] })).to.equal(0);
    const output = {
      artifactsEmittedPerJob: [
        { artifactsEmittedPerFile: [{ artifactsEmitted: ["A", "B"] }, { artifactsEmitted: [] }] },
        { artifactsEmittedPerFile: [{ artifactsEmitted: ["C"] }] },
      ],
    };
    expect(emittedArtifactCount(output)).to.equal(3);
  });

  describe("in this project", function () {
    this.timeout(120_000);
    const stampFile = () => path.resolve(hre.config.paths.root, hre.config.typechain.outDir, TYPECHAIN_STAMP_FILE);

    it("the compile before this test run left a stamp of the current inputs", () => {
      expect(fs.readFileSync(stampFile(), "utf8")).to.equal(typechainInputsStamp(hre.config));
    });

    it("a compile with nothing to compile leaves the bindings untouched when the stamp is current", async () => {
      const index = path.resolve(hre.config.paths.root, hre.config.typechain.outDir, "index.ts");
      const before = fs.statSync(index).mtimeMs;
      const output = { artifactsEmittedPerJob: [] };
      const returned: unknown = await hre.run("typechain:generate-types", { compileSolOutput: output, quiet: true });
      expect(returned).to.equal(output);
      expect(fs.statSync(index).mtimeMs).to.equal(before);
    });
  });
});
