/**
 * The keeper names the executor's enum members (core/executor-enums.ts) and the plan encoder turns a
 * name into its index. Those lists must be IChimeraExecutor's declarations, member for member and in
 * order: this reads the enums from the compiler's own AST of the contract that ships, so adding,
 * removing or reordering a member on either side fails here, not in a live plan.
 */
import { expect } from "chai";
import hre from "hardhat";
import { EXECUTOR_FLASH_SOURCES, EXECUTOR_PROTOCOL_KINDS, EXECUTOR_SWAP_VENUES } from "../../../../keeper/core/executor-enums";
import { FLASH_LENDERS } from "../../../../keeper/flash/registry";

interface AstNode {
  readonly nodeType: string;
  readonly name?: string;
  readonly nodes?: readonly AstNode[];
  readonly members?: readonly AstNode[];
}

/** Every enum declared in IChimeraExecutor, member names in declaration order, from the build's AST. */
async function compiledExecutorEnums(): Promise<Map<string, string[]>> {
  const source = "contracts/interfaces/IChimeraExecutor.sol";
  const buildInfo = await hre.artifacts.getBuildInfo(`${source}:IChimeraExecutor`);
  if (buildInfo === undefined) throw new Error(`no build info for ${source}: run npx hardhat compile`);
  const ast = (buildInfo.output.sources[source] as { ast: AstNode }).ast;
  const enums = new Map<string, string[]>();
  const visit = (node: AstNode): void => {
    if (node.nodeType === "EnumDefinition")
      enums.set(
        node.name!,
        (node.members ?? []).map((member) => member.name!),
      );
    for (const child of node.nodes ?? []) visit(child);
  };
  visit(ast);
  return enums;
}

describe("execution: the executor's enums as the keeper names them", function () {
  it("FlashSource, ProtocolKind and SwapVenue equal IChimeraExecutor's, member for member and in order", async function () {
    const compiled = await compiledExecutorEnums();
    expect(compiled.get("FlashSource"), "IChimeraExecutor.FlashSource").to.deep.equal([...EXECUTOR_FLASH_SOURCES]);
    expect(compiled.get("ProtocolKind"), "IChimeraExecutor.ProtocolKind").to.deep.equal([...EXECUTOR_PROTOCOL_KINDS]);
    expect(compiled.get("SwapVenue"), "IChimeraExecutor.SwapVenue").to.deep.equal([...EXECUTOR_SWAP_VENUES]);
  });

  it("gives every registered flash lender its own FlashSource member", function () {
    const sources = FLASH_LENDERS.map((lender) => lender.executorSource);
    expect(new Set(sources).size, "two lenders share a callback family").to.equal(sources.length);
    expect(new Set(FLASH_LENDERS.map((lender) => lender.name)).size, "two lenders share a name").to.equal(FLASH_LENDERS.length);
  });
});
