/**
 * The L1 data fee of an OP Stack chain such as Base: every transaction pays it on top of its L2 gas, out
 * of the sender's balance, and it is NOT part of gasLimit × maxFeePerGas. A transaction that spends
 * "balance minus the gas fee" is refused there for insufficient funds unless this fee is reserved too.
 *
 * The chain prices it in its GasPriceOracle predeploy (0x420000000000000000000000000000000000000F, per
 * the OP Stack specs): `getL1FeeUpperBound(unsignedTxSize)` since the Fjord upgrade (an upper bound that
 * covers 99.99% of transactions, which is what a reserve needs), `getL1Fee(unsignedTx)` before it. A chain
 * without the predeploy (Ethereum, the in-process sandbox) charges no L1 data fee.
 *
 * No npm package ships this predeploy's artifact: its two views are declared in
 * contracts/interfaces/IOpStackGasPriceOracle.sol, and TypeChain binds them.
 */
import { dataLength, type Provider } from "ethers";

export const GAS_PRICE_ORACLE_ADDRESS = "0x420000000000000000000000000000000000000F";

/** The most the L1 data fee of `unsignedSerialisedTx` may be, in wei; 0 on a chain without the oracle. */
export async function l1DataFeeReserve(provider: Provider, unsignedSerialisedTx: string): Promise<bigint> {
  if ((await provider.getCode(GAS_PRICE_ORACLE_ADDRESS)) === "0x") return 0n;
  // Loaded on use: rotate-key, which imports this module, loads with the config before the first compile.
  const { IOpStackGasPriceOracle__factory } = await import("../../typechain-types");
  const oracle = IOpStackGasPriceOracle__factory.connect(GAS_PRICE_ORACLE_ADDRESS, provider);
  try {
    return await oracle.getL1FeeUpperBound(dataLength(unsignedSerialisedTx));
  } catch {
    // Before Fjord the oracle has no upper-bound function; the exact fee of these bytes is the next best.
  }
  try {
    return await oracle.getL1Fee(unsignedSerialisedTx);
  } catch (error) {
    throw new Error(
      `the GasPriceOracle at ${GAS_PRICE_ORACLE_ADDRESS} answered neither getL1FeeUpperBound nor getL1Fee ` +
        `(${(error as Error).message.split("\n")[0]}); cannot reserve the L1 data fee, so nothing was swept`,
    );
  }
}
