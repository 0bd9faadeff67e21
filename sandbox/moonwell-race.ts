/**
 * Moonwell in the clock-driven race (keeper/run/sandbox-race.ts): a rival that, like the public, sees only the price
 * the OEV wrappers show, and the referee's reading of who liquidated each Moonwell borrower first.
 *
 * The rival is the plainest Moonwell liquidator: at every block it asks the comptroller which watched borrowers are
 * short (the comptroller prices through the wrappers, so a hidden round does not count until it goes public or
 * someone unlocks it), waits its reaction delay, and calls `mUSDC.liquidateBorrow(borrower, closeFactor × debt,
 * mWETH)` from inventory with its own priority fee. It polls every block because a round going public emits nothing:
 * the wrapper simply starts answering it once `maxRoundDelay` seconds have passed.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { MaxUint256, parseUnits, type Wallet } from "ethers";
import { MoonwellMTokenDouble__factory } from "../typechain-types";
import type { Address } from "../keeper/config/address-book";
import type { OpenedBorrower } from "./borrowers";
import type { ChainClock, MinedBlock } from "./clock/chain-clock";
import type { RivalReaction } from "./rival";
import type { SandboxMoonwell } from "./moonwell-oev-market";
import type { Sandbox } from "./sandbox-types";
import { ensureEth, mintTo } from "./token-supply";

/** A Compound liquidation with redemption-free seizure uses ~250k gas; 1M leaves room for cold storage. */
const LIQUIDATION_GAS = 1_000_000n;
const MANTISSA = 10n ** 18n;

export interface MoonwellRivalOptions {
  readonly hre: HardhatRuntimeEnvironment;
  readonly sandbox: Sandbox & { readonly moonwell: SandboxMoonwell };
  readonly clock: ChainClock;
  /** Its own key: a Hardhat account nothing else in the race sends from. */
  readonly wallet: Wallet;
  /** The positions it watches (only the Moonwell ones count). */
  readonly borrowers: readonly OpenedBorrower[];
  /** null: watching, never sending. */
  readonly reaction: RivalReaction | null;
}

export class MoonwellPublicRival {
  readonly address: Address;
  /** Transactions it sent: borrower, hash, the block it reacted to. */
  readonly attempts: { readonly borrower: Address; readonly txHash: string; readonly block: number }[] = [];
  readonly #options: MoonwellRivalOptions;
  readonly #watched: readonly Address[];
  readonly #pending = new Map<string, string>();
  #nonce = 0;
  #detach: (() => void) | null = null;
  #chain: Promise<void> = Promise.resolve();

  private constructor(options: MoonwellRivalOptions) {
    this.#options = options;
    this.address = options.wallet.address as Address;
    this.#watched = options.borrowers.filter((b) => b.protocol === "moonwell").map((b) => b.address);
  }

  /** Funds it (gas, and twice every watched debt in USDC), approves mUSDC, and starts watching the clock's blocks. */
  static async start(options: MoonwellRivalOptions): Promise<MoonwellPublicRival> {
    const { hre, sandbox, wallet } = options;
    const rival = new MoonwellPublicRival(options);
    await ensureEth(hre, rival.address, 10n ** 24n);
    const inventory = options.borrowers.filter((b) => b.protocol === "moonwell").reduce((sum, b) => sum + b.debtAmount * 2n, 0n);
    await mintTo(hre, sandbox.tokens, sandbox.deployer, "USDC", rival.address, inventory);
    const signer = wallet.connect(hre.ethers.provider);
    await (await sandbox.tokens.USDC.connect(signer).approve(sandbox.moonwell.mTokens.USDC, MaxUint256)).wait();
    rival.#nonce = await hre.ethers.provider.getTransactionCount(rival.address, "latest");
    rival.#detach = options.clock.onBlock((block) => {
      rival.#chain = rival.#chain.then(() => rival.#onBlock(block)).catch(() => undefined);
    });
    return rival;
  }

  async stop(): Promise<void> {
    this.#detach?.();
    this.#detach = null;
    await this.#chain;
  }

  async #onBlock(block: MinedBlock): Promise<void> {
    const { reaction, hre, sandbox, wallet } = this.#options;
    if (reaction === null || this.#watched.length === 0) return;
    const { comptroller, mTokens } = sandbox.moonwell;
    const provider = hre.ethers.provider;
    const short: Address[] = [];
    for (const borrower of this.#watched) {
      const pending = this.#pending.get(borrower);
      if (pending !== undefined && (await provider.getTransactionReceipt(pending)) === null) continue;
      const [, , shortfall] = await comptroller.getAccountLiquidity(borrower, { blockTag: block.number });
      if (shortfall > 0n) short.push(borrower);
    }
    if (short.length === 0) return;
    const wait = block.minedAtMs + reaction.delayMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const closeFactor = await comptroller.closeFactorMantissa();
    const tip = parseUnits(String(reaction.priorityFeeGwei), "gwei");
    const mUsdc = MoonwellMTokenDouble__factory.connect(await mTokens.USDC.getAddress(), provider);
    for (const borrower of short) {
      const repay = ((await mUsdc.borrowBalanceStored(borrower, { blockTag: block.number })) * closeFactor) / MANTISSA;
      const raw = await wallet.signTransaction({
        type: 2,
        chainId: sandbox.book.chainId,
        nonce: this.#nonce,
        to: await mUsdc.getAddress(),
        data: mUsdc.interface.encodeFunctionData("liquidateBorrow", [borrower, repay, await mTokens.WETH.getAddress()]),
        gasLimit: LIQUIDATION_GAS,
        maxPriorityFeePerGas: tip,
        maxFeePerGas: tip + block.baseFeePerGas * 4n,
      });
      const hash = (await hre.network.provider.request({ method: "eth_sendRawTransaction", params: [raw] })) as string;
      this.#nonce += 1;
      this.#pending.set(borrower, hash);
      this.attempts.push({ borrower, txHash: hash, block: block.number });
    }
  }
}

/** One Moonwell liquidation on chain, named by who sent it (for an OEV liquidation: whoever paid the wrapper). */
export interface MoonwellChainLiquidation {
  readonly protocol: "moonwell";
  readonly borrower: Address;
  /** The mToken's `liquidator`, except through a wrapper: then the account that paid the wrapper the repayment. */
  readonly liquidator: Address;
  /** Whether it went through an OEV wrapper (unlocking a hidden round). */
  readonly throughWrapper: boolean;
  readonly blockNumber: number;
  readonly logIndex: number;
  readonly txHash: string;
}

/**
 * Every liquidation on the sandbox's Moonwell from `fromBlock` on, in chain order. The mToken's LiquidateBorrow names
 * the wrapper as liquidator when a liquidator went through it; the one who paid is the sender of the loan-token
 * transfer to the wrapper in the same transaction (the wrapper pulls the repayment from its caller).
 */
export async function moonwellLiquidations(
  hre: HardhatRuntimeEnvironment,
  sandbox: Sandbox & { readonly moonwell: SandboxMoonwell },
  fromBlock: number,
): Promise<MoonwellChainLiquidation[]> {
  const { mTokens, wrappers } = sandbox.moonwell;
  const wrapperAddresses = new Set(await Promise.all(Object.values(wrappers).map(async (w) => (await w.getAddress()).toLowerCase())));
  const usdc = sandbox.tokens.USDC;
  const out: MoonwellChainLiquidation[] = [];
  for (const mToken of Object.values(mTokens)) {
    const events = await mToken.queryFilter(mToken.filters.LiquidateBorrow(), fromBlock, "latest");
    for (const event of events) {
      const named = event.args.liquidator.toLowerCase();
      let liquidator = named;
      if (wrapperAddresses.has(named)) {
        const transfers = await usdc.queryFilter(
          usdc.filters.Transfer(undefined, event.args.liquidator),
          event.blockNumber,
          event.blockNumber,
        );
        const paid = transfers.find((t) => t.transactionHash === event.transactionHash);
        liquidator = paid === undefined ? named : String(paid.args[0]).toLowerCase();
      }
      out.push({
        protocol: "moonwell",
        borrower: event.args.borrower.toLowerCase() as Address,
        liquidator: liquidator as Address,
        throughWrapper: wrapperAddresses.has(named),
        blockNumber: event.blockNumber,
        logIndex: event.index,
        txHash: event.transactionHash,
      });
    }
  }
  return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}
