/** The one provider capability the clock, the node wrapper and the rival need: EIP-1193 `request`. */
export interface Eip1193Provider {
  request(args: { readonly method: string; readonly params?: readonly unknown[] }): Promise<unknown>;
}

export function hexQuantity(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
