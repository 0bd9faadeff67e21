/** Argument validation shared by the operator tasks: what is accepted, and that each refusal names flag and value. */
import { expect } from "chai";
import { parseAddress, parseAddressList, parseEthThreshold, parseTokenAmount } from "../../../tasks/lib/args";

const CHECKSUMMED = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("tasks/lib/args", () => {
  it("parseAddress checksums lower-case input, refuses a wrong checksum, short input and the zero address", () => {
    expect(parseAddress("--to", CHECKSUMMED.toLowerCase())).to.equal(CHECKSUMMED);
    expect(parseAddress("--to", ` ${CHECKSUMMED} `)).to.equal(CHECKSUMMED);
    expect(() => parseAddress("--to", CHECKSUMMED.replace("C51", "c51"))).to.throw(/--to .* invalid EIP-55 checksum/);
    expect(() => parseAddress("--to", "0x1234")).to.throw(/--to "0x1234" is not an address: expected 0x followed by 40 hex digits/);
    expect(() => parseAddress("--to", "0x0000000000000000000000000000000000000000")).to.throw(/--to is the zero address/);
    expect(() => parseAddress("--to", undefined)).to.throw(/--to is required/);
  });

  it("parseAddressList splits on commas, validates each and drops duplicates", () => {
    expect(parseAddressList("--target", `${CHECKSUMMED}, ${CHECKSUMMED.toLowerCase()},`)).to.deep.equal([CHECKSUMMED]);
    expect(() => parseAddressList("--target", `${CHECKSUMMED},nope`)).to.throw(/--target "nope" is not an address/);
  });

  it("parseTokenAmount takes human amounts in the token's decimals", () => {
    expect(parseTokenAmount("--amount", "1.5", 6, "USDC")).to.equal(1_500_000n);
    expect(parseTokenAmount("--amount", "2500", 6, "USDC")).to.equal(2_500_000_000n);
    expect(parseTokenAmount("--amount", "0.00000001", 8, "cbBTC")).to.equal(1n);
    expect(parseTokenAmount("--amount", "1", 18, "ETH")).to.equal(10n ** 18n);
  });

  it("parseTokenAmount refuses zero, signs, exponents, separators and excess precision, naming the token", () => {
    expect(() => parseTokenAmount("--amount", "0", 6, "USDC")).to.throw(/--amount must be greater than zero, got "0" USDC/);
    expect(() => parseTokenAmount("--amount", "0.000", 6, "USDC")).to.throw(/greater than zero/);
    expect(() => parseTokenAmount("--amount", "-1", 6, "USDC")).to.throw(/"-1" is not an amount/);
    expect(() => parseTokenAmount("--amount", "1e6", 6, "USDC")).to.throw(/"1e6" is not an amount/);
    expect(() => parseTokenAmount("--amount", "1,000", 6, "USDC")).to.throw(/"1,000" is not an amount/);
    expect(() => parseTokenAmount("--amount", "0.0000001", 6, "USDC")).to.throw(/7 decimal places but USDC has only 6/);
  });

  it("parseEthThreshold accepts zero and decimals, refuses words", () => {
    expect(parseEthThreshold("--min-operator-eth", "0")).to.equal(0n);
    expect(parseEthThreshold("--min-operator-eth", "0.01")).to.equal(10n ** 16n);
    expect(() => parseEthThreshold("--min-operator-eth", "a lot")).to.throw(/--min-operator-eth "a lot" is not an ETH amount/);
  });
});
