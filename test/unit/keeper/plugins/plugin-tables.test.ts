/**
 * Adding a fourth lending market, a fifth flash lender and a third swap venue touches only their own
 * folders (./example-lending, ./example-vault, ./example-dex, written from the READMEs' checklists) and
 * the tables they are listed in — here, the tables this test hands to the same functions the keeper
 * assembles itself from (createMarkets, marketsSchema, FlashLiquidity.create, createSwapQuoter). No
 * engine, strategy or encoder file knows them, yet the plan the planner builds and the struct the
 * encoder writes carry the new market's call, the new lender and the new venue.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sandboxFixture } from "../../../shared/sandbox-fixture";
import { fundAccount } from "../../../../sandbox";
import type { Address } from "../../../../keeper/config/address-book";
import { EXECUTOR_FLASH_SOURCES, EXECUTOR_PROTOCOL_KINDS, EXECUTOR_SWAP_VENUES } from "../../../../keeper/core/executor-enums";
import { createPluginContext } from "../../../../keeper/core/plugin-context";
import { Multicall3Client } from "../../../../keeper/chain/multicall";
import { FlashLiquidity } from "../../../../keeper/engine/flash-liquidity";
import { OpportunityPlanner } from "../../../../keeper/engine/opportunity-planner";
import { createSwapQuoter } from "../../../../keeper/engine/swap-quoter";
import { encodePlanStruct, FLASH_HEADROOM } from "../../../../keeper/execution/plan-encoder";
import { FLASH_LENDERS } from "../../../../keeper/flash/registry";
import { InMemoryCheckpointStore } from "../../../../keeper/markets/checkpoint-store";
import { createMarkets } from "../../../../keeper/markets/factory";
import { marketDefaults, marketsSchema } from "../../../../keeper/markets/market-plugin";
import { MARKET_PLUGINS } from "../../../../keeper/markets/registry";
import { UsdPriceBook } from "../../../../keeper/markets/usd-prices";
import { SWAP_VENUES } from "../../../../keeper/venues/registry";
import { exampleDexVenue } from "./example-dex/plugin";
import type { ExampleLendingMarket } from "./example-lending/example-lending-market";
import { exampleLendingPlugin } from "./example-lending/plugin";
import { exampleVaultLender } from "./example-vault/plugin";

// The tables, each with its new entry: the only place outside the plug-ins' folders that changes.
const MARKETS = [...MARKET_PLUGINS, exampleLendingPlugin];
const EXAMPLE_VAULT = "0x00000000000000000000000000000000000e7a17" as Address;
const LENDERS = [...FLASH_LENDERS, exampleVaultLender(EXAMPLE_VAULT)];
const EXAMPLE_ROUTER = "0x00000000000000000000000000000000000de7e1" as Address;
const VENUES = [...SWAP_VENUES, exampleDexVenue(EXAMPLE_ROUTER)];

const EXAMPLE_POOL = "0x00000000000000000000000000000000000e1e2d" as Address;
const BORROWER = "0x00000000000000000000000000000000000b0a10" as Address;
const E6 = 10n ** 6n;
const E18 = 10n ** 18n;

describe("plug-in tables: a fourth market, a fifth lender and a third venue", function () {
  it("get their config section from their own schema, defaults included, and only once they are in the table", function () {
    const defaults = marketDefaults(MARKETS, "hardhat");
    expect(defaults.exampleLend).to.deep.equal(exampleLendingPlugin.config.defaults("hardhat"));
    const sections = { ...defaults, exampleLend: { enabled: true, batchSize: 7, pool: EXAMPLE_POOL, deployBlock: 5 } };
    expect(marketsSchema(MARKETS).parse(sections).exampleLend).to.deep.equal(sections.exampleLend);

    const misspelt = marketsSchema(MARKETS).safeParse({ ...sections, exampleLend: { ...sections.exampleLend, pool: "nope" } });
    expect(misspelt.success).to.equal(false);
    if (!misspelt.success) {
      expect(misspelt.error.issues.map((issue) => [issue.path.join("."), issue.message])).to.deep.equal([
        ["exampleLend.pool", "expected the pool's address (0x + 40 hex digits)"],
      ]);
    }
    // The keeper's own table does not list it: its config rejects the section.
    expect(marketsSchema(MARKET_PLUGINS).safeParse(sections).success).to.equal(false);
  });

  it("are built, planned and encoded by the engine's own code without a line of it naming them", async function () {
    const sandbox = await loadFixture(sandboxFixture);
    const { book } = sandbox;
    const provider = hre.ethers.provider;

    // The market, from its section, through the factory the keeper uses.
    const sections = {
      ...marketDefaults(MARKETS, "hardhat"),
      aaveV3: { enabled: false, batchSize: 250 },
      morphoBlue: { enabled: false, batchSize: 250 },
      exampleLend: { enabled: true, batchSize: 7, pool: EXAMPLE_POOL, deployBlock: 5 },
    };
    const shared = { provider, checkpoints: new InMemoryCheckpointStore(), usdPrices: new UsdPriceBook() };
    const [market, ...others] = await createMarkets(book, sections, shared, MARKETS);
    expect(others).to.deep.equal([]);
    expect([market!.id, market!.protocol, market!.discoveryStartBlock]).to.deep.equal(["exampleLend:Example", "exampleLend", 5]);
    const example = market as ExampleLendingMarket;
    await example.init();
    // 4 WETH ($12,000) at an 80% threshold against 10,000 USDC: health 0.96.
    example.ledger.set(BORROWER, { wethCollateral: 4n * E18, usdcDebt: 10_000n * E6 });
    await fundAccount(hre, sandbox, "USDC", EXAMPLE_VAULT, 1_000_000n * E6);
    const head = await provider.getBlockNumber();
    await example.refreshPositions(undefined, head);
    const [position] = example.liquidatable();
    expect(position?.healthFactor).to.equal(960_000_000_000_000_000n);

    // The lender and the venue, from the same context the keeper builds its own with.
    const context = createPluginContext(book, new Multicall3Client(provider, book.multicall3));
    const flash = await FlashLiquidity.create(context, LENDERS);
    const quoter = await createSwapQuoter(context, VENUES);
    const planner = new OpportunityPlanner({
      quoter,
      flash,
      prices: {
        usdPerToken: (token) => (token.toLowerCase() === book.weth.toLowerCase() ? 2_000 : 1),
        decimalsOf: () => 6,
        nativeUsd: () => 2_000,
      },
      settings: () => ({ bidShareOfProfit: 0.1, maxPriorityFeePerGasWei: 10n ** 9n, dustUsd: 1, gasUnitsFallback: 900_000n }),
    });
    const [decision] = await planner.plan([{ market: example, position: position! }], { number: head, baseFeePerGas: 10n ** 7n });
    expect(decision?.outcome, decision?.detail).to.equal("planned");
    const plan = decision!.plan!;
    // Free lenders tie on fee; the example vault's preference puts it before Balancer. The example DEX's
    // 3,100 USDC a WETH beats the sandbox's Uniswap pools.
    expect([plan.flash.kind, plan.flash.address, plan.flash.amount]).to.deep.equal(["exampleVault", EXAMPLE_VAULT, 5_000n * E6]);
    expect(plan.swap?.venue).to.equal("exampleDex");

    const struct = encodePlanStruct(plan, { minProfit: 1n, deadlineBlock: head + 2 });
    expect(struct.liquidation.protocol).to.equal(EXECUTOR_PROTOCOL_KINDS.indexOf("AaveV3"));
    expect([struct.liquidation.market, struct.liquidation.borrower, struct.liquidation.debtToCover]).to.deep.equal([
      EXAMPLE_POOL,
      BORROWER,
      5_000n * E6,
    ]);
    expect([struct.flash.source, struct.flash.lender, struct.flash.amount]).to.deep.equal([
      EXECUTOR_FLASH_SOURCES.indexOf("BalancerV2"),
      EXAMPLE_VAULT,
      5_000n * E6 + FLASH_HEADROOM,
    ]);
    expect([struct.liquidation.swap.venue, struct.liquidation.swap.router]).to.deep.equal([
      EXECUTOR_SWAP_VENUES.indexOf("UniswapV3"),
      EXAMPLE_ROUTER,
    ]);
  });
});
